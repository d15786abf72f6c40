"""Replaying what the phone line spooled while the database was down: the calls' messages and
ends, written now, with the tickets they open (their promise counting from now); the calls'
start, end and timeline at the time the webhooks came.

Each entry is written once, whichever copy of a spool folder is replayed (a dead host's, copied
to a live one, and the dead host's own when it comes back) and however often: its id goes in
``replayed_entry`` in the transaction that writes it, and a second copy finds it there."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

import log_fields
from helpdesk import callbacks, calllog, phone, tasks
from helpdesk.context import Context
from models import Call, ReplayedEntry, current_time
from models.db import insert_or_skip
from queueing import spool

log = logging.getLogger(__name__)


# How long the ids of the entries written are kept: longer than any copy of a spool folder is
# expected to wait for its replay.
KEEP_IDS = timedelta(days=30)
FORGET_EVERY_SECONDS = 86_400


@dataclass
class Replayed:
    """What a replay did with the entries it took from the folder (each then removed)."""

    written: int = 0
    already: int = 0  # written before, from another copy or by a replay that died half-way

    def count(self, written: bool) -> None:
        if written:
            self.written += 1
        else:
            self.already += 1


def replay_spool(context: Context, limit: int = 50, older_than: float = 0.0) -> int:
    """Apply what waits in the spool (written more than ``older_than`` seconds ago); return
    how many entries were written."""
    return replay_folder(context, limit, older_than).written


def replay_folder(context: Context, limit: int = 50, older_than: float = 0.0) -> Replayed:
    """Apply what waits in the spool (written more than ``older_than`` seconds ago): how many
    entries were written, and how many had been before."""
    replayed = Replayed()
    folder = Path(context.settings.spool_dir)
    if not spool.pending(folder):
        return replayed
    # Run after a webhook's answer, in its thread: its lines must not carry that call's fields.
    with log_fields.about():
        spool.replay(
            folder,
            lambda entry: replayed.count(apply(context, entry)),
            limit,
            _database_away,
            older_than,
        )
        if replayed.written or replayed.already:
            log.info(
                "%d spooled webhook(s) written to the database, %d written before",
                replayed.written,
                replayed.already,
            )
    return replayed


def _database_away(error: Exception) -> bool:
    """The database could not be reached: the entry waits without counting it a failure."""
    return isinstance(error, OperationalError | InterfaceError | TimeoutError | ConnectionError)


def apply(context: Context, entry: dict[str, Any]) -> bool:
    """One spooled webhook, in one unit of work, once: False (nothing written) when it was
    written before."""
    with log_fields.about(call_sid=entry.get("call_sid")), context.transaction() as session:
        return write_once(session, context, entry)


def write_once(session: Session, context: Context, entry: dict[str, Any]) -> bool:
    """Write the spooled webhook in this unit of work, unless it was written before (False)."""
    if not _first_time(session, entry):
        return False
    if entry.get("received_at"):
        calllog.replayed_from(session, datetime.fromisoformat(str(entry["received_at"])))
    STEPS[str(entry["step"])](session, context, entry)
    return True


def _first_time(session: Session, entry: dict[str, Any]) -> bool:
    """Note the entry's id as written, first thing in its transaction. Two replays of two
    copies at once: the unique id decides; on PostgreSQL the second waits for the first's
    commit, then skips (and writes the entry if the first rolled back)."""
    row = {
        "id": spool.entry_id(entry),
        "step": str(entry.get("step", ""))[:30],
        "replayed_at": current_time(session),
    }
    statement = insert_or_skip(session, ReplayedEntry).returning(ReplayedEntry.id)
    return session.execute(statement, row).first() is not None


def write_due(context: Context) -> bool:
    """The day's forgetting of old ids, as an outbox row, once some are old enough: each relay
    round looks, and the row's key lets one in between all the workers."""
    with context.transaction() as session:
        now = current_time(session)
        old = select(ReplayedEntry.id).where(ReplayedEntry.replayed_at < now - KEEP_IDS)
        if session.scalars(old.limit(1)).first() is None:
            return False
        return tasks.forget_replayed(session, int(now.timestamp()) // FORGET_EVERY_SECONDS)


def forget_old(context: Context) -> int:
    """Job: forget the ids of entries written more than ``KEEP_IDS`` ago; return how many."""
    with context.transaction() as session:
        before = current_time(session) - KEEP_IDS
        result = session.execute(delete(ReplayedEntry).where(ReplayedEntry.replayed_at < before))
        return int(getattr(result, "rowcount", 0) or 0)


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
