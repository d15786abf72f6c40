"""Replaying what the phone line spooled while the database was down: the calls' messages and
ends, written now, with the tickets they open (their promise counting from now)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from helpdesk import calllog, phone
from helpdesk.context import Context
from models import Call, Line
from queueing import spool
from routing.config import BusinessHours

log = logging.getLogger(__name__)


def replay_spool(context: Context, limit: int = 50) -> int:
    """Apply what waits in the spool; return how many entries were written."""
    folder = Path(context.settings.spool_dir)
    if not spool.pending(folder):
        return 0
    done = spool.replay(folder, lambda entry: apply(context, entry), limit)
    if done:
        log.info("%d spooled webhook(s) written to the database", done)
    return done


def apply(context: Context, entry: dict[str, Any]) -> None:
    """One spooled webhook, in one unit of work."""
    with context.transaction() as session:
        call, first_sight = calllog.find_or_start(session, str(entry["call_sid"]))
        if first_sight:
            cata = context.settings.cata_numbers
            phone.arrive(session, call, str(entry["from"]), str(entry["to"]), cata)
        if entry["step"] == "status":
            phone.call_ended(session, call, str(entry["status"]), str(entry["duration"]))
            return
        _message(session, context.hours, call, entry)


def _message(session: Session, hours: BusinessHours, call: Call, entry: dict[str, Any]) -> None:
    message = None
    if entry.get("recording_url"):
        message = phone.Message(
            str(entry["recording_url"]), int(entry["seconds"]), str(entry["recording_sid"])
        )
    kind = entry.get("kind")
    if kind in ("regular", "urgent") and call.ticket_id is not None:
        phone.support_message(session, call, message)
    elif kind == "addition":
        phone.addition(session, hours, call, int(entry.get("ticket") or 0), message)
    elif kind == "verify":
        phone.for_verification(session, call, message, entry.get("client"))
    else:
        _left_while_down(session, hours, call, message)


def _left_while_down(
    session: Session, hours: BusinessHours, call: Call, message: phone.Message | None
) -> None:
    """A message left when nothing could be written: an authorized client gets their support
    ticket now; anybody else's waits for a supervisor, as the voicemail's do."""
    authorized = phone.authorized_contact(session, call) is not None
    if authorized and message is not None and call.ticket_id is None:
        phone.open_support_ticket(session, hours, call, call.line or Line.REGULAR)
        phone.support_message(session, call, message)
    else:
        phone.voicemail(session, call, message)
