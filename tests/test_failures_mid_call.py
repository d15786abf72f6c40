"""When something fails in the middle of a call, or a call outlasts the follow-up's safety net:
the caller keeps their promise, a technician is never asked to leave a message, and a
technician talking with the client is not paged."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import follow_up
from models import CallRing, OutboxTask, Ticket
from tests.phone import CATA, MAIN, MARIE, at, helpdesk, queued, signed_post

SID = "CA" + "9" * 32


def _verbs(response: object) -> list[str]:
    body = response.get_data(as_text=True)  # type: ignore[attr-defined]
    return [element.tag for element in ET.fromstring(body)]


def test_a_technician_talking_with_the_client_is_not_paged_by_the_safety_net(
    phone_app: Flask, db: Session
) -> None:
    call = {"CallSid": SID, "From": MARIE, "To": CATA}
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        signed_post(phone_app, "/voice/incoming", call)
        signed_post(phone_app, "/voice/urgent", call)
        ticket = db.scalars(select(Ticket)).one()
        rung = db.scalars(select(CallRing.staff_member_id).order_by(CallRing.position)).all()
        leg = {"CallSid": "CA" + "8" * 32, "Digits": "1"}
        signed_post(phone_app, f"/voice/whisper/answer?staff={rung[1]}&parent={SID}", leg)
    safety_net = db.scalars(
        select(OutboxTask).where(OutboxTask.key == f"ticket-{ticket.id}-follow-up-safety-net")
    ).one()
    with time_machine.travel(at(2026, 12, 1, 10, 11), tick=False):  # still talking
        follow_up.follow_up(helpdesk(phone_app), **safety_net.args)
    db.expire_all()
    keys = {row.key for row in db.scalars(select(OutboxTask))}
    assert f"ticket-{ticket.id}-notify" not in keys
    assert f"ticket-{ticket.id}-follow-up-safety-net-1" in keys  # put off, not dropped


def test_a_step_that_fails_never_asks_a_technician_to_leave_a_message(
    phone_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("helpdesk.tickets.parties", broken)
    leg = {"CallSid": "CA" + "8" * 32}
    response = signed_post(phone_app, f"/voice/whisper?staff=1&parent={SID}", leg)
    assert response.status_code == 200
    assert "Record" not in _verbs(response) and _verbs(response)[-1] == "Hangup"


def test_a_status_callback_that_fails_gets_an_empty_answer(
    phone_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("helpdesk.callbacks.find", broken)
    answer = signed_post(phone_app, "/voice/callback/status?request=x", {"CallSid": SID})
    assert _verbs(answer) == []


def test_an_authorized_callers_message_after_a_failure_opens_their_ticket_with_its_promise(
    phone_app: Flask, db: Session
) -> None:
    recording = {
        "CallSid": SID,
        "From": MARIE,
        "To": MAIN,
        "RecordingUrl": "https://api.twilio.example/RE9",
        "RecordingDuration": "30",
    }
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        answer = signed_post(phone_app, "/voice/recorded?kind=voicemail&after_error=1", recording)
    said = [e.text for e in ET.fromstring(answer.get_data(as_text=True)) if e.tag == "Say"]
    assert "Un technicien vous rappellera au plus tard à 14 h." in said
    ticket = db.scalars(select(Ticket)).one()
    assert (ticket.to_verify, ticket.sla_due_at) == (False, at(2026, 12, 1, 14))
    assert f"ticket-{ticket.id}-follow-up" in queued(phone_app, db)


def test_an_unknown_callers_message_after_a_failure_waits_for_a_supervisor(
    phone_app: Flask, db: Session
) -> None:
    recording = {
        "CallSid": SID,
        "From": "anonymous",
        "To": MAIN,
        "RecordingUrl": "https://api.twilio.example/RE9",
        "RecordingDuration": "30",
    }
    signed_post(phone_app, "/voice/recorded?kind=voicemail&after_error=1", recording)
    assert db.scalars(select(Ticket)).one().to_verify is True
