"""Technicians and supervisors are told, by email (a real SMTP server) and SMS (Twilio's API)."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
import time_machine
from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from helpdesk import callbacks, jobs, tickets
from helpdesk.context import Context
from helpdesk.tasks import TABLE
from models import (
    DeliveryState,
    Notification,
    OutboxState,
    OutboxTask,
    StaffMember,
    Ticket,
    utcnow,
)
from queueing.relay import Relay
from sending import smtp, staff_notices
from tests.conftest import SmtpInbox
from tests.phone import RecordingTwilioHttp, at, helpdesk, place_call, the_ticket


@pytest.fixture
def twilio_api() -> RecordingTwilioHttp:
    return RecordingTwilioHttp()


def _worker(app: Flask, twilio_api: RecordingTwilioHttp, **settings: str) -> Context:
    """The worker's context on the app's database, with some settings of its own."""
    context = helpdesk(app)
    return context.replace(settings=context.settings.replace(**settings), twilio_http=twilio_api)


@pytest.fixture
def sending(phone_app: Flask, smtp_inbox: SmtpInbox, twilio_api: RecordingTwilioHttp) -> Context:
    """The worker: real SMTP on loopback, Twilio credentials, the recorder as Twilio's API."""
    return _worker(phone_app, twilio_api, smtp_url=smtp_inbox.url)


def _regular_ticket(app: Flask, db: Session) -> Ticket:
    return the_ticket(db, place_call(app, at(2026, 12, 1, 10), press="6"))


def _names(db: Session, ids: list[int]) -> list[str]:
    return [db.get(StaffMember, i).name for i in ids]  # type: ignore[union-attr]


def test_the_technicians_on_duty_get_an_email_and_an_sms(
    phone_app: Flask,
    sending: Context,
    db: Session,
    smtp_inbox: SmtpInbox,
    twilio_api: RecordingTwilioHttp,
) -> None:
    ticket = _regular_ticket(phone_app, db)
    staff = [m.id for m in db.scalars(select(StaffMember).order_by(StaffMember.id))][:2]
    staff_notices.notify_ticket(sending, ticket.id, staff)
    assert sorted(m["To"] for m in smtp_inbox.messages) == [
        "luc@altilogix.example",
        "sophie@altilogix.example",
    ]
    email = smtp_inbox.messages[0]
    assert email["Subject"] == "[AltiLogix] Billet 1001, support régulier : Boulangerie Saint-Denis"
    assert email["Auto-Submitted"] == "auto-generated"
    # the year is written when the clock reads another year (the moved-clock run)
    assert re.search(
        r"Rappel promis au plus tard : mar\. 1 déc\.( 2026)? 14 h 00", email.get_content()
    )
    sms = [r["data"] for r in twilio_api.requests]
    assert [s["To"] for s in sms] == ["+15145550171", "+15145550172"]
    assert sms[0]["From"] == "+15149826161"
    assert sms[0]["Body"].startswith("AltiLogix support régulier : billet 1001, Boulangerie")


def test_a_notice_put_off_to_the_morning_is_dropped_once_the_ticket_is_resolved(
    phone_app: Flask,
    sending: Context,
    db: Session,
    smtp_inbox: SmtpInbox,
    twilio_api: RecordingTwilioHttp,
) -> None:
    ticket = _regular_ticket(phone_app, db)
    tickets.resolve(ticket, None, reopen_within=timedelta(days=14))
    db.commit()
    staff = [m.id for m in db.scalars(select(StaffMember).order_by(StaffMember.id))][:2]
    staff_notices.notify_ticket(sending, ticket.id, staff)
    assert smtp_inbox.messages == []
    assert twilio_api.requests == []


def test_a_notice_put_off_to_the_morning_is_dropped_once_the_client_was_reached(
    phone_app: Flask,
    sending: Context,
    db: Session,
    smtp_inbox: SmtpInbox,
    twilio_api: RecordingTwilioHttp,
) -> None:
    ticket = _regular_ticket(phone_app, db)
    luc = db.scalars(select(StaffMember).where(StaffMember.name == "Luc Gagnon")).one()
    callbacks.called_back_from_own_phone(ticket, luc.id, at(2026, 12, 1, 10, 30))
    db.commit()
    staff_notices.notify_ticket(sending, ticket.id, [luc.id])
    assert smtp_inbox.messages == []
    assert twilio_api.requests == []


def test_a_job_run_twice_sends_nothing_twice(
    phone_app: Flask,
    sending: Context,
    db: Session,
    smtp_inbox: SmtpInbox,
    twilio_api: RecordingTwilioHttp,
) -> None:
    ticket = _regular_ticket(phone_app, db)
    staff = [m.id for m in db.scalars(select(StaffMember))][:2]
    staff_notices.notify_ticket(sending, ticket.id, staff)
    staff_notices.notify_ticket(sending, ticket.id, staff)
    assert len(smtp_inbox.messages) == 2 and len(twilio_api.requests) == 2
    states = db.scalars(select(Notification.state)).all()
    assert set(states) == {DeliveryState.SENT}


def test_a_failed_send_is_kept_and_raised_for_rq_to_retry(
    phone_app: Flask, db: Session, twilio_api: RecordingTwilioHttp
) -> None:
    failing = _worker(phone_app, twilio_api, smtp_url="smtp://127.0.0.1:1")
    ticket = _regular_ticket(phone_app, db)
    staff = [m.id for m in db.scalars(select(StaffMember))][:1]
    with pytest.raises(RuntimeError, match="ConnectionRefusedError"):
        staff_notices.notify_ticket(failing, ticket.id, staff)
    db.expire_all()
    email = db.scalars(select(Notification).where(Notification.channel == "email")).one()
    assert (email.state, email.attempts) == (DeliveryState.FAILED, 1)
    assert len(twilio_api.requests) == 1  # the SMS still went out


def test_without_credentials_messages_are_logged_and_the_log_says_so(
    phone_app: Flask, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    logging_only = _worker(phone_app, RecordingTwilioHttp(), smtp_url="", twilio_account_sid="")
    caplog.set_level(logging.INFO)
    ticket = _regular_ticket(phone_app, db)
    staff_notices.notify_ticket(
        logging_only, ticket.id, [m.id for m in db.scalars(select(StaffMember))][:1]
    )
    assert "email NOT sent, logged instead" in caplog.text
    assert "SMS NOT sent, logged instead" in caplog.text
    assert "+15145550171" not in caplog.text


def test_supervisors_are_warned_when_nobody_has_called_back(
    phone_app: Flask, sending: Context, db: Session, smtp_inbox: SmtpInbox
) -> None:
    ticket = _regular_ticket(phone_app, db)  # at 10:00, to be called back by 14:00
    with time_machine.travel(at(2026, 12, 1, 13, 30), tick=False):
        staff_notices.sla_watch(sending, ticket.id)
    assert sorted(m["To"] for m in smtp_inbox.messages) == [
        "david@altilogix.example",
        "helene@altilogix.example",
    ]
    english = next(m for m in smtp_inbox.messages if m["To"] == "david@altilogix.example")
    assert english["Subject"] == "[AltiLogix] Deadline soon: ticket 1001, Boulangerie Saint-Denis"


def test_a_warning_that_runs_after_the_deadline_says_the_deadline_has_passed(
    phone_app: Flask, sending: Context, db: Session, smtp_inbox: SmtpInbox
) -> None:
    ticket = _regular_ticket(phone_app, db)  # at 10:00, to be called back by 14:00
    with time_machine.travel(at(2026, 12, 2, 8, 49), tick=False):  # the worker was down
        staff_notices.sla_watch(sending, ticket.id)
    french = next(m for m in smtp_inbox.messages if m["To"] == "helene@altilogix.example")
    assert (
        french["Subject"] == "[AltiLogix] Échéance dépassée : billet 1001, Boulangerie Saint-Denis"
    )
    assert "l'échéance est passée" in french.get_content()


def test_no_warning_once_the_client_was_reached(
    phone_app: Flask, sending: Context, db: Session, smtp_inbox: SmtpInbox
) -> None:
    ticket = _regular_ticket(phone_app, db)
    ticket.first_response_at = utcnow()
    db.commit()
    staff_notices.sla_watch(sending, ticket.id)
    staff_notices.escalate(sending, ticket.id)
    assert smtp_inbox.messages == []


def test_a_message_to_verify_reaches_supervisors_by_email_only(
    phone_app: Flask,
    sending: Context,
    db: Session,
    smtp_inbox: SmtpInbox,
    twilio_api: RecordingTwilioHttp,
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), caller="anonymous", press="-,6,1001#")
    staff_notices.ask_verification(sending, the_ticket(db, transcript).id)
    assert len(smtp_inbox.messages) == 2
    assert twilio_api.requests == []
    assert "Compte indiqué : 1001" in smtp_inbox.messages[0].get_content()


def test_an_urgent_message_to_verify_says_urgent_to_the_supervisors(
    phone_app: Flask, sending: Context, db: Session, smtp_inbox: SmtpInbox
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 2, 10), caller="anonymous", press="7,-")
    staff_notices.ask_verification(sending, the_ticket(db, transcript).id)
    email = smtp_inbox.messages[0]
    assert "Message à vérifier, support urgent (CATA) : billet" in email["Subject"]
    assert "a laissé un message au support urgent (CATA)." in email.get_content()


def test_the_worker_delivers_what_the_call_queued(
    phone_app: Flask,
    sending: Context,
    monkeypatch: pytest.MonkeyPatch,
    db: Session,
    redis: Redis,
    smtp_inbox: SmtpInbox,
    twilio_api: RecordingTwilioHttp,
) -> None:
    monkeypatch.setattr(jobs, "process_context", lambda: sending)  # the worker's, in this test
    place_call(phone_app, at(2026, 12, 1, 10), press="7")  # nobody accepts: 3 are paged
    queue = Queue("altilogix-test", connection=redis)
    relay = Relay(sending.sessions, queue, "test", TABLE, "worker-1")
    with time_machine.travel(at(2026, 12, 1, 10, 1), tick=False):
        for _ in range(2):  # the follow-up, then the notices it planned
            relay.hand_due()
            SimpleWorker([queue], connection=redis).work(burst=True)
    recipients = sorted(m["To"] for m in smtp_inbox.messages)
    assert recipients == [
        "karim@altilogix.example",
        "luc@altilogix.example",
        "marie@boulangerie.example",  # the ticket in writing, to the caller
        "sophie@altilogix.example",
    ]
    # the 3 pages, and the copy of the caller's message (its audio fetched from Twilio)
    assert [r["method"] for r in twilio_api.requests].count("POST") == 3
    fetched = [r["url"] for r in twilio_api.requests if r["method"] == "GET"]
    assert len(fetched) == 1 and fetched[0].endswith(".mp3")
    # Waiting in the outbox, due later: the SLA watch, the escalation, and the follow-up's
    # safety net (which will find the follow-up done).
    later = db.scalars(select(OutboxTask.task).where(OutboxTask.state == OutboxState.PENDING))
    assert sorted(later) == ["ticket.escalate", "ticket.follow_up", "ticket.sla_watch"]


def test_a_notice_claimed_for_sending_is_never_sent_again_by_a_retry(
    phone_app: Flask, sending: Context, db: Session, smtp_inbox: SmtpInbox
) -> None:
    ticket = _regular_ticket(phone_app, db)
    staff = [m.id for m in db.scalars(select(StaffMember))][:1]
    staff_notices.notify_ticket(sending, ticket.id, staff)
    db.execute(update(Notification).values(state=DeliveryState.SENDING))  # "sent" never recorded
    db.commit()
    staff_notices.notify_ticket(sending, ticket.id, staff)  # RQ's retry
    assert len(smtp_inbox.messages) == 1


def test_credentials_are_never_sent_to_a_mail_server_without_encryption(
    phone_app: Flask, db: Session, smtp_inbox: SmtpInbox, twilio_api: RecordingTwilioHttp
) -> None:
    import smtplib

    url = f"smtp://support:s3cret@127.0.0.1:{smtp_inbox.port}"  # the server offers no STARTTLS
    settings = helpdesk(phone_app).settings.replace(smtp_url=url)
    with pytest.raises(smtplib.SMTPNotSupportedError, match="no STARTTLS"):
        smtp.send_email(settings, "luc@altilogix.example", "Objet", "Texte")
    assert smtp_inbox.messages == []
