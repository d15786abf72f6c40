"""The phone-line test world: the demo directory, a fixed clock, calls placed as Twilio does."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

from helpdesk import follow_up
from helpdesk.context import Context
from models import Call, OutboxTask, Ticket
from tools.simulator import Script, Simulator, Transcript
from tools.transports import InProcess

MONTREAL = ZoneInfo("America/Toronto")
BASE = "https://support.altilogix.example"
TOKEN = "test-auth-token"
MAIN = "+15149826161"
CATA = "+15145550150"
OFFICE = "+15145550160"
MARIE = "+15145550101"  # authorized, French, Boulangerie Saint-Denis (1001)
NADIA = "+15145550104"  # known, not authorized
EMILY = "+15145550121"  # authorized, English, Westmount Dental Clinic (1003)
STRANGER = "+15145550199"  # a number the directory does not know


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MONTREAL)


def place_call(
    app: Flask,
    when: datetime,
    *,
    caller: str = MARIE,
    to: str = MAIN,
    press: str = "",
    techs: tuple[str, ...] = (),
    record_seconds: int = 12,
    recordings: tuple[int, ...] = (),
    reception_answers: bool = False,
) -> Transcript:
    """A whole call, from /voice/incoming to the status callback, at a frozen time; each
    message lasts ``record_seconds`` (0: silence), but for the first ones, ``recordings``."""
    script = Script(
        inputs=[p for p in press.split(",") if p],
        technicians=list(techs),
        record_seconds=record_seconds,
        recordings=list(recordings),
        reception_answers=reception_answers,
    )
    simulator = Simulator(InProcess(app), TOKEN)
    with time_machine.travel(when, tick=False):
        return simulator.place_call(f"{BASE}/voice/incoming", caller, to, script)


def signed_post(app: Flask, path: str, params: dict[str, str], token: str = TOKEN) -> Any:
    """One webhook, signed as Twilio signs it."""
    signature = RequestValidator(token).compute_signature(f"{BASE}{path}", params)
    return app.test_client().post(
        path, data=params, base_url=BASE, headers={"X-Twilio-Signature": signature}
    )


def the_call(db: Session, transcript: Transcript) -> Call:
    return call_by_sid(db, transcript.call_sid)


def call_by_sid(db: Session, sid: str) -> Call:
    db.expire_all()
    return db.scalars(select(Call).where(Call.call_sid == sid)).one()


def the_ticket(db: Session, transcript: Transcript) -> Ticket:
    call = the_call(db, transcript)
    assert call.ticket_id is not None, "the call opened no ticket"
    ticket = db.get(Ticket, call.ticket_id)
    assert ticket is not None
    return ticket


def helpdesk(app: Flask) -> Context:
    """The app's helpdesk context: what its jobs run against."""
    context: Context = app.extensions["helpdesk"]
    return context


def queued(app: Flask, db: Session) -> dict[str, OutboxTask]:
    """The outbox by key, once the worker has planned the new tickets' follow-ups."""
    db.expire_all()
    for row in db.scalars(select(OutboxTask).where(OutboxTask.task == "ticket.follow_up")):
        follow_up.follow_up(helpdesk(app), **row.args)
    db.expire_all()
    return {row.key or str(row.id): row for row in db.scalars(select(OutboxTask))}


def event_kinds(call: Call) -> list[str]:
    return [event.kind for event in call.events]


@dataclass
class RecordingTwilioHttp(HttpClient):  # type: ignore[misc]
    """Twilio's REST API, played by a recorder: requests are kept, answers are made up."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 201  # 500: Twilio's API is failing

    def request(
        self,
        method: str,
        url: str,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        auth: Any = None,
        timeout: Any = None,
        allow_redirects: bool = False,
    ) -> Response:
        self.requests.append({"method": method, "url": url, "data": dict(data or {})})
        if self.status >= 400:
            return Response(self.status, json.dumps({"code": 20500, "message": "unavailable"}))
        kind = "SM" if url.endswith("/Messages.json") else "CA"
        body = {"sid": f"{kind}{len(self.requests):032d}", "status": "queued"}
        return Response(201, json.dumps(body))
