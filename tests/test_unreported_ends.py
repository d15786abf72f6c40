"""A call whose end Twilio never reported (its status callback failed, and Twilio does not retry
it) does not read "in progress" for ever: past the longest a call may last, the worker asks
Twilio how it ended, and ends it as the status callback would have."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.http import HttpClient
from twilio.http.response import Response

from helpdesk import callbacks, unreported_ends
from helpdesk.context import Context
from models import (
    CallbackRequest,
    CallbackState,
    CallEventKind,
    CallOutcome,
    OutboxTask,
    StaffMember,
    TicketEventKind,
)
from tests.console_world import HELENE, Staff, give_passwords
from tests.phone import (
    MAIN,
    MARIE,
    RecordingTwilioHttp,
    at,
    call_by_sid,
    event_kinds,
    helpdesk,
    place_call,
    signed_post,
    the_ticket,
)

SID = "CA" + "7" * 32
TEN = at(2026, 12, 1, 10)


@dataclass
class TwilioCalls(HttpClient):  # type: ignore[misc]
    """Twilio's REST API looking calls up: what it knows of each call, by SID (404 otherwise)."""

    known: dict[str, dict[str, str]] = field(default_factory=dict)
    status: int = 200  # 500: Twilio's API is failing
    asked: list[str] = field(default_factory=list)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        sid = url.rsplit("/", 1)[-1].removesuffix(".json")
        self.asked.append(sid)
        status = self.status if self.status >= 400 else 200 if sid in self.known else 404
        if status != 200:
            return Response(status, json.dumps({"code": 20404, "message": "no", "status": status}))
        return Response(200, json.dumps({"sid": sid, **self.known[sid]}))


def _hang_up_unreported(app: Flask) -> None:
    """Marie chooses regular support at 10:00 and hangs up; her status callback never comes."""
    with time_machine.travel(TEN, tick=False):
        signed_post(app, "/voice/incoming", {"CallSid": SID, "From": MARIE, "To": MAIN})
        signed_post(app, "/voice/regular", {"CallSid": SID, "From": MARIE, "To": MAIN})


def _look(context: Context, hour: int, minute: int = 0) -> int:
    with time_machine.travel(at(2026, 12, 1, hour, minute), tick=False):
        return unreported_ends.end_overdue(context)


def _twilio_knows(app: Flask, **calls: dict[str, str]) -> Context:
    return helpdesk(app).replace(twilio_http=TwilioCalls(known=calls))


def _without_credentials(app: Flask) -> Context:
    context = helpdesk(app)
    settings = dataclasses.replace(context.settings, twilio_account_sid="", twilio_auth_token="")
    return context.replace(settings=settings, twilio_http=TwilioCalls())


COMPLETED_AT_10_02 = {
    "status": "completed",
    "duration": "95",
    "end_time": "Tue, 01 Dec 2026 15:02:00 +0000",  # Twilio's format; 10:02 in Montreal
}


def test_a_call_whose_end_never_came_is_ended_as_twilio_says_it_ended(
    phone_app: Flask, db: Session
) -> None:
    _hang_up_unreported(phone_app)
    assert _look(_twilio_knows(phone_app, **{SID: COMPLETED_AT_10_02}), 14, 30) == 1
    call = call_by_sid(db, SID)
    assert (call.status, call.duration_seconds) == ("completed", 95)
    assert call.ended_at == at(2026, 12, 1, 10, 2)
    assert call.outcome == CallOutcome.ABANDONED


def test_the_end_twilio_reports_late_is_dated_when_the_call_ended(
    phone_app: Flask, db: Session
) -> None:
    _hang_up_unreported(phone_app)
    _look(_twilio_knows(phone_app, **{SID: COMPLETED_AT_10_02}), 14, 30)
    [hung_up] = [e for e in call_by_sid(db, SID).events if e.kind == CallEventKind.HUNG_UP]
    assert hung_up.at == at(2026, 12, 1, 10, 2)


def test_a_call_younger_than_the_longest_call_is_left_to_its_status_callback(
    phone_app: Flask, db: Session
) -> None:
    _hang_up_unreported(phone_app)
    context = _twilio_knows(phone_app, **{SID: COMPLETED_AT_10_02})
    assert _look(context, 14, 10) == 0
    assert context.twilio_http.asked == []  # type: ignore[union-attr]
    assert call_by_sid(db, SID).status == "in-progress"


def test_without_twilio_credentials_the_call_reads_ended_with_its_end_not_reported(
    phone_app: Flask, db: Session
) -> None:
    _hang_up_unreported(phone_app)
    context = _without_credentials(phone_app)
    assert _look(context, 14, 30) == 1
    call = call_by_sid(db, SID)
    assert (call.status, call.ended_at, call.outcome) == ("not-reported", None, "abandoned")
    assert CallEventKind.END_NOT_REPORTED in event_kinds(call)
    assert context.twilio_http.asked == []  # type: ignore[union-attr]


def test_a_call_twilio_no_longer_knows_reads_ended_with_its_end_not_reported(
    phone_app: Flask, db: Session
) -> None:
    _hang_up_unreported(phone_app)
    _look(_twilio_knows(phone_app), 14, 30)
    assert call_by_sid(db, SID).status == "not-reported"


def test_the_ticket_of_a_call_whose_end_never_came_is_followed_up(
    phone_app: Flask, db: Session
) -> None:
    _hang_up_unreported(phone_app)
    _look(_without_credentials(phone_app), 14, 30)
    keys = set(db.scalars(select(OutboxTask.key)))
    assert f"ticket-{call_by_sid(db, SID).ticket_id}-follow-up" in keys


def test_a_call_ended_once_is_not_ended_again_an_hour_later(phone_app: Flask, db: Session) -> None:
    _hang_up_unreported(phone_app)
    context = _without_credentials(phone_app)
    _look(context, 14, 30)
    assert _look(context, 15, 30) == 0
    assert event_kinds(call_by_sid(db, SID)).count(CallEventKind.END_NOT_REPORTED) == 1


def test_when_twilio_fails_the_call_stays_unended_and_is_asked_about_again_later(
    phone_app: Flask, db: Session
) -> None:
    _hang_up_unreported(phone_app)
    failing = helpdesk(phone_app).replace(twilio_http=TwilioCalls(status=500))
    assert _look(failing, 14, 30) == 0
    assert call_by_sid(db, SID).status == "in-progress"
    assert _look(_twilio_knows(phone_app, **{SID: COMPLETED_AT_10_02}), 15, 30) == 1


def test_a_callback_whose_leg_never_reported_its_end_leaves_the_client_not_reached(
    phone_app: Flask, db: Session
) -> None:
    ticket = the_ticket(db, place_call(phone_app, TEN, press="6"))
    luc = db.scalars(select(StaffMember).where(StaffMember.name == "Luc Gagnon")).one()
    request = callbacks.request_callback(db, ticket, luc)
    db.commit()
    with time_machine.travel(at(2026, 12, 1, 10, 5), tick=False):
        placing = helpdesk(phone_app).replace(twilio_http=RecordingTwilioHttp())
        callbacks.place_callback(placing, request.request_id)
    _look(_twilio_knows(phone_app), 14, 30)
    db.expire_all()
    placed = db.get(CallbackRequest, request.id)
    assert placed is not None and placed.state == CallbackState.NOT_REACHED
    leg = call_by_sid(db, f"CA{1:032d}")  # the recorder answers with its request count
    assert (leg.status, leg.outcome) == ("not-reported", CallOutcome.CALLBACK_NOT_REACHED)
    db.refresh(ticket)
    assert ticket.events[-1].kind == TicketEventKind.CALLBACK_NOT_REACHED


def test_a_call_past_twilios_own_limit_is_ended_unreported_without_asking(
    phone_app: Flask, db: Session
) -> None:
    _hang_up_unreported(phone_app)
    context = _twilio_knows(phone_app, **{SID: COMPLETED_AT_10_02})
    with time_machine.travel(at(2026, 12, 2, 10, 30), tick=False):
        assert unreported_ends.end_overdue(context) == 1
    assert context.twilio_http.asked == []  # type: ignore[union-attr]
    assert call_by_sid(db, SID).status == "not-reported"


def test_the_hourly_look_is_one_task_however_many_workers_write_it(
    phone_app: Flask, db: Session
) -> None:
    context = helpdesk(phone_app)
    with time_machine.travel(at(2026, 12, 1, 10, 30), tick=False):
        assert unreported_ends.write_due(context) is True
        assert unreported_ends.write_due(context) is False
    tasks = db.scalars(select(OutboxTask.task)).all()
    assert tasks == ["call.end_unreported"]


def test_the_call_page_says_the_end_was_never_reported(phone_app: Flask, db: Session) -> None:
    _hang_up_unreported(phone_app)
    _look(_without_credentials(phone_app), 14, 30)
    give_passwords(db)
    helene = Staff(phone_app)
    helene.sign_in(HELENE)
    page = helene.text(f"/console/calls/{call_by_sid(db, SID).id}")
    assert "(terminé, fin non signalée par Twilio)" in page
    assert "Twilio n&#39;a jamais signalé la fin de l&#39;appel" in page


def test_a_call_twilio_says_still_goes_on_is_left_for_the_next_look(
    phone_app: Flask, db: Session
) -> None:
    _hang_up_unreported(phone_app)
    talking = {"status": "in-progress", "duration": "", "end_time": ""}
    assert _look(_twilio_knows(phone_app, **{SID: talking}), 14, 30) == 0
    assert call_by_sid(db, SID).status == "in-progress"
