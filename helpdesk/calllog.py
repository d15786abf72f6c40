"""The call log: the call row, found or made by CallSid, and its timeline of typed events."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, select
from sqlalchemy.orm import Session, object_session, with_expression

from models import Call, CallDirection, CallEvent, CallEventKind, Ticket, current_time, tallies
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
# The longest a call may last: Twilio's default time limit of a call.
LONGEST_CALL = timedelta(hours=4)
# Our own word for a call whose end Twilio never reported (helpdesk.unreported_ends): it is over,
# but when it ended and how long it lasted are not known.
NOT_REPORTED = "not-reported"
# The statuses of a call that, as far as the log knows, has not ended ("unknown": Twilio said a
# status this code does not know, so its end is still to be learnt).
UNENDED_STATUSES = frozenset(CALL_STATUSES - FINAL_STATUSES | {"unknown"})

# Where a unit of work writing a webhook kept on the spool notes when that webhook came.
WEBHOOK_AT = "helpdesk.calllog.webhook_at"


def replayed_from(session: Session, received_at: datetime) -> None:
    """This unit of work writes a webhook that came at ``received_at`` (kept on the spool while
    the database was down): the call's start, end and timeline say when it happened, not when
    the database got it."""
    session.info[WEBHOOK_AT] = received_at


def webhook_time(of: Session | object) -> datetime:
    """When the webhook this unit of work (a session, or the session an object belongs to)
    answers came: now, unless it is replayed."""
    session = of if isinstance(of, Session) else object_session(of)
    moment: datetime | None = session.info.get(WEBHOOK_AT) if session is not None else None
    return moment if moment is not None else current_time(of)


# A call's row by its CallSid, with its ticket's number (for the webhook's log lines) read in the
# same statement. Built once: a statement never changes, and building this one (its subquery and
# option) cost every webhook more than running it.
_BY_SID = (
    select(Call)
    .where(Call.call_sid == bindparam("call_sid"))
    .options(
        with_expression(
            Call.ticket_number,
            select(Ticket.number).where(Ticket.id == Call.ticket_id).scalar_subquery(),
        )
    )
)
_BY_SID_LOCKED = _BY_SID.with_for_update()


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
    statement = _BY_SID_LOCKED if lock else _BY_SID
    call = session.scalars(statement, {"call_sid": call_sid}).first()
    if call is not None:
        return call, False
    row = {
        "call_sid": call_sid,
        "direction": direction,
        "started_at": webhook_time(session),
        "status": "in-progress",
        "from_number": "",
        "to_number": "",
    }
    made = session.scalars(insert_or_skip(session, Call).returning(Call), row).first()
    if made is not None:
        # None: it starts now (but in a simulation, or replayed from the spool).
        tallies.forget(session, [made.started_at])
        return made, True
    return session.scalars(statement, {"call_sid": call_sid}).one(), False


def record(call: Call, kind: CallEventKind, **data: Any) -> None:
    """Add a typed event to the call's timeline (without loading the timeline so far)."""
    session = object_session(call)
    assert session is not None, "the call must belong to a session"
    session.add(CallEvent(call_id=call.id, kind=kind, at=webhook_time(session), data=data))


# A language the caller chose with a key (the language prompt, the menu's 9), as their
# LANGUAGE_CHOSEN event says why; any other reason is the line's own choice.
CHOSEN_BY_KEY = ("key", "menu")


def language_chosen_by_key(session: Session, calls: ColumnElement[bool]) -> bool:
    """Whether the last language chosen on the ``calls`` was the caller's, with a key."""
    last = session.scalars(
        select(CallEvent.data)
        .join(Call, Call.id == CallEvent.call_id)
        .where(calls, CallEvent.kind == CallEventKind.LANGUAGE_CHOSEN)
        .order_by(CallEvent.id.desc())
        .limit(1)
    ).first()
    return last is not None and last.get("why") in CHOSEN_BY_KEY


def set_status(call: Call, raw: str, duration: str) -> bool:
    """Twilio's status of the call; True when the call has ended."""
    call.status = raw if raw in CALL_STATUSES else "unknown"
    if duration.isdigit() and len(duration) < 9:
        call.duration_seconds = int(duration)
    if call.status not in FINAL_STATUSES:
        return False
    call.ended_at = call.ended_at or webhook_time(call)
    record(call, CallEventKind.HUNG_UP, status=raw[:40])
    return True


def end_not_reported(call: Call) -> None:
    """The call is over (older than any call may last) and nobody can say how: its end and
    duration stay unknown, and its timeline says so."""
    call.status = NOT_REPORTED
    record(call, CallEventKind.END_NOT_REPORTED)


def menu_path(call: Call) -> list[str]:
    return [
        e.data.get("destination", "") for e in call.events if e.kind == CallEventKind.OPTION_CHOSEN
    ]
