"""The call log: the call row, found or made by CallSid, and its timeline of typed events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from models import Call, CallDirection, CallEvent, CallEventKind, current_time, tallies
from models.db import insert_or_skip, lock_row

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
FINAL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}


def find_or_start(
    session: Session,
    call_sid: str,
    direction: CallDirection = CallDirection.INBOUND,
    *,
    lock: bool = True,
) -> tuple[Call, bool]:
    """The call with this CallSid, and whether this request made it (first sight).

    Twice-sent or concurrent webhooks of one call make one row (the insert yields on conflict).
    With ``lock``, the row is locked for this unit of work: copies of a step that opens or
    settles something take their turns, each seeing what the one before committed, so they
    answer alike and open one ticket.
    """
    if lock:
        lock_row(session, Call, Call.call_sid == call_sid)
    locked = select(Call).where(Call.call_sid == call_sid)
    if lock:
        locked = locked.with_for_update()
    call = session.scalars(locked).first()
    if call is not None:
        return call, False
    row = {
        "call_sid": call_sid,
        "direction": direction,
        "started_at": current_time(session),
        "status": "in-progress",
        "from_number": "",
        "to_number": "",
    }
    made = session.scalars(insert_or_skip(session, Call).returning(Call), row).first()
    if made is not None:
        tallies.forget(session, [made.started_at])  # none: it starts now (but in a simulation)
        return made, True
    return session.scalars(locked).one(), False


def record(call: Call, kind: CallEventKind, **data: Any) -> None:
    """Add a typed event to the call's timeline (without loading the timeline so far)."""
    session = object_session(call)
    assert session is not None, "the call must belong to a session"
    session.add(CallEvent(call_id=call.id, kind=kind, at=current_time(session), data=data))


def set_status(call: Call, raw: str, duration: str) -> bool:
    """Twilio's status of the call; True when the call has ended."""
    call.status = raw if raw in CALL_STATUSES else "unknown"
    if duration.isdigit() and len(duration) < 9:
        call.duration_seconds = int(duration)
    if call.status not in FINAL_STATUSES:
        return False
    call.ended_at = call.ended_at or current_time(call)
    record(call, CallEventKind.HUNG_UP, status=raw[:40])
    return True


def menu_path(call: Call) -> list[str]:
    return [
        e.data.get("destination", "") for e in call.events if e.kind == CallEventKind.OPTION_CHOSEN
    ]
