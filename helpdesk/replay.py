"""Replaying what the phone line spooled while the database was down: the calls' messages and
ends, written now, with the tickets they open (their promise counting from now)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from helpdesk import callbacks, calllog, phone
from helpdesk.context import Context
from models import Call
from queueing import spool

log = logging.getLogger(__name__)


def replay_spool(context: Context, limit: int = 50, older_than: float = 0.0) -> int:
    """Apply what waits in the spool (written more than ``older_than`` seconds ago); return
    how many entries were written."""
    folder = Path(context.settings.spool_dir)
    if not spool.pending(folder):
        return 0
    done = spool.replay(
        folder, lambda entry: apply(context, entry), limit, _database_away, older_than
    )
    if done:
        log.info("%d spooled webhook(s) written to the database", done)
    return done


def _database_away(error: Exception) -> bool:
    """The database could not be reached: the entry waits without counting it a failure."""
    return isinstance(error, OperationalError | InterfaceError | TimeoutError | ConnectionError)


def apply(context: Context, entry: dict[str, Any]) -> None:
    """One spooled webhook, in one unit of work."""
    with context.transaction() as session:
        STEPS[str(entry["step"])](session, context, entry)


def _call(session: Session, context: Context, entry: dict[str, Any]) -> Call:
    call, first_sight = calllog.find_or_start(session, str(entry["call_sid"]))
    if first_sight:
        cata = context.settings.cata_numbers
        phone.arrive(session, call, str(entry["from"]), str(entry["to"]), cata)
    return call


def _status(session: Session, context: Context, entry: dict[str, Any]) -> None:
    call = _call(session, context, entry)
    phone.call_ended(session, call, str(entry["status"]), str(entry["duration"]))


def _dialed(session: Session, context: Context, entry: dict[str, Any]) -> None:
    call = _call(session, context, entry)
    phone.ring_group_ended(session, call, str(entry["dial_status"]), str(entry["dial_sid"]))


def _callback_answered(session: Session, _context: Context, entry: dict[str, Any]) -> None:
    request = callbacks.find(session, str(entry.get("request") or ""))
    if request is not None and entry["status"] in ("in-progress", "answered"):
        call = session.get(Call, request.call_id) if request.call_id else None
        moment = datetime.fromisoformat(str(entry["received_at"]))
        callbacks.client_answered(session, request, call, moment)


def _callback_status(session: Session, _context: Context, entry: dict[str, Any]) -> None:
    request = callbacks.find(session, str(entry.get("request") or ""))
    if request is not None:
        call = callbacks.leg(session, request, str(entry["call_sid"]))
        callbacks.leg_ended(request, call, str(entry["status"]), str(entry["duration"]))


def _message(session: Session, context: Context, entry: dict[str, Any]) -> None:
    call = _call(session, context, entry)
    hours = context.hours
    message = None
    if entry.get("recording_url"):
        message = phone.Message(
            str(entry["recording_url"]), int(entry["seconds"]), str(entry["recording_sid"])
        )
    kind = "after_error" if entry.get("after_error") else entry.get("kind")
    if kind in ("regular", "urgent") and call.ticket_id is not None:
        phone.support_message(session, call, message)
    elif kind == "addition":
        phone.addition(session, hours, call, int(entry.get("ticket") or 0), message)
    elif kind == "verify":
        phone.for_verification(session, call, message, entry.get("client"))
    else:  # the general voicemail, or after a failure: an authorized client's opens a ticket
        phone.message_left(session, hours, call, message)


STEPS: dict[str, Callable[[Session, Context, dict[str, Any]], None]] = {
    "message": _message,
    "status": _status,
    "dialed": _dialed,
    "callback_answered": _callback_answered,
    "callback_status": _callback_status,
}
