"""The call log: the call row, found or made by CallSid, and its timeline of typed events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from models import Call, CallEvent, utcnow
from models.db import insert_or_skip

# Twilio's call statuses; anything else is stored as "unknown" with the raw value in the event.
CALL_STATUSES = {
    "queued",
    "initiated",
    "ringing",
    "in-progress",
    "completed",
    "busy",
    "failed",
    "no-answer",
    "canceled",
}


def find_or_start(session: Session, call_sid: str) -> tuple[Call, bool]:
    """The call with this CallSid, and whether this request made it (first sight).

    Twice-sent or concurrent webhooks of one call make one row: the insert yields on conflict.
    """
    call = session.scalars(select(Call).where(Call.call_sid == call_sid)).first()
    if call is not None:
        return call, False
    statement = insert_or_skip(
        session,
        Call,
        call_sid=call_sid,
        started_at=utcnow(),
        status="in-progress",
        from_number="",
        to_number="",
    )
    made = session.scalars(statement.returning(Call)).first()
    if made is not None:
        return made, True
    return session.scalars(select(Call).where(Call.call_sid == call_sid)).one(), False


def record(call: Call, kind: str, **data: Any) -> None:
    """Add a typed event to the call's timeline (without loading the timeline so far)."""
    session = object_session(call)
    assert session is not None, "the call must belong to a session"
    session.add(CallEvent(call_id=call.id, kind=kind, at=utcnow(), data=data))


def menu_path(call: Call) -> list[str]:
    return [e.data.get("destination", "") for e in call.events if e.kind == "option_chosen"]
