"""A send its worker's death cut (claimed, then nothing recorded) is not lost from sight: past
ten minutes the supervisors see it as interrupted, on its ticket and among the messages not
sent, and may send it again: it may or may not have left, so a person decides."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.context import Context
from models import DeliveryState, Notification, StaffMember, Ticket
from sending import delivery, staff_notices
from tests.console_world import HELENE, give_passwords, signed_in_at
from tests.mailing import run_due_tasks
from tests.phone import RecordingTwilioHttp, at, helpdesk, place_call, the_ticket

LUC = "+15145550171"  # technician, first on regular duty
MORNING = at(2026, 12, 1, 10)
LATER = MORNING + timedelta(minutes=11)


class WorkerKilled(BaseException):
    """A SIGKILL in the middle of a send: nothing after the claim runs."""


@pytest.fixture
def twilio_api() -> RecordingTwilioHttp:
    return RecordingTwilioHttp()


@pytest.fixture
def worker(phone_app: Flask, twilio_api: RecordingTwilioHttp) -> Context:
    return helpdesk(phone_app).replace(twilio_http=twilio_api)


def page_cut_mid_send(
    app: Flask, db: Session, worker: Context, monkeypatch: pytest.MonkeyPatch
) -> tuple[Ticket, Notification]:
    """A regular ticket whose page to Luc was claimed for sending, and its worker died."""
    ticket = the_ticket(db, place_call(app, MORNING, press="6"))
    luc = db.scalars(select(StaffMember).where(StaffMember.mobile == LUC)).one()

    def killed(*_args: object) -> str:
        raise WorkerKilled

    monkeypatch.setattr("sending.sms.send", killed)
    with time_machine.travel(MORNING, tick=False), pytest.raises(WorkerKilled):
        staff_notices.notify_ticket(worker, ticket.id, [luc.id], only="sms")
    monkeypatch.undo()
    db.expire_all()
    page = db.scalars(select(Notification).where(Notification.recipient == LUC)).one()
    assert page.state == DeliveryState.SENDING
    return ticket, page


def test_a_send_cut_by_its_worker_s_death_shows_as_interrupted_after_ten_minutes(
    phone_app: Flask, db: Session, worker: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket, _page = page_cut_mid_send(phone_app, db, worker, monkeypatch)
    give_passwords(db)
    with signed_in_at(phone_app, HELENE, LATER) as helene:
        for path in ("/console/undelivered", f"/console/tickets/{ticket.number}"):
            page = helene.text(path)
            assert "interrompu : son processus s" in page
            assert "Envoyer quand même" in page
        assert "1 interrompu" in helene.text("/console/sla")


def test_a_send_of_two_minutes_ago_is_still_being_sent_not_interrupted(
    phone_app: Flask, db: Session, worker: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket, _page = page_cut_mid_send(phone_app, db, worker, monkeypatch)
    give_passwords(db)
    with signed_in_at(phone_app, HELENE, MORNING + timedelta(minutes=2)) as helene:
        assert "interrompu :" not in helene.text("/console/undelivered")
        assert "en cours d'envoi" in unescape(helene.text(f"/console/tickets/{ticket.number}"))


def test_a_supervisor_sends_an_interrupted_message_again(
    phone_app: Flask,
    db: Session,
    worker: Context,
    twilio_api: RecordingTwilioHttp,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _ticket, page = page_cut_mid_send(phone_app, db, worker, monkeypatch)
    helene = db.scalars(select(StaffMember).where(StaffMember.email == HELENE)).one()
    with time_machine.travel(LATER, tick=False):
        with worker.transaction() as session:
            assert delivery.release(session, page.id, helene.id) is True
        run_due_tasks(worker)
    db.expire_all()
    sent = db.get(Notification, page.id)
    assert sent is not None and (sent.state, sent.released_by_id) == (DeliveryState.SENT, helene.id)
    to_luc = [r for r in twilio_api.requests if r["data"].get("To") == LUC]
    assert len(to_luc) == 1 and "1001" in to_luc[0]["data"]["Body"]


def test_a_message_being_sent_cannot_be_sent_again_before_ten_minutes(
    phone_app: Flask, db: Session, worker: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ticket, page = page_cut_mid_send(phone_app, db, worker, monkeypatch)
    helene = db.scalars(select(StaffMember).where(StaffMember.email == HELENE)).one()
    two_minutes_later = time_machine.travel(MORNING + timedelta(minutes=2), tick=False)
    with two_minutes_later, worker.transaction() as session:
        assert delivery.release(session, page.id, helene.id) is False
