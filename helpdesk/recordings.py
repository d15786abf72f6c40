"""Job: copy a caller's message from Twilio into the storage every host reaches
(``storage.files``: the database), then, with RECORDINGS_DELETE_AT_TWILIO, delete Twilio's copy.
Job: delete our copies older than RECORDINGS_KEEP_DAYS, each ticket's history saying so.

Read, fetch, record: the row is read in one short transaction, the audio is streamed from Twilio
into the storage chunk by chunk (each chunk its own short transaction, none open across a read
from the network), and the copy is recorded in another. A fetch cut short leaves nothing; a
retry of a recording already copied (or already deleted at Twilio) sends no request at all.
A copy that older versions left in RECORDINGS_DIR is moved by ``move_from_folder``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from helpdesk import tasks
from helpdesk.context import Context
from models import Recording, Ticket, TicketEvent, TicketEventKind, utcnow
from storage import files
from telephony import rest

log = logging.getLogger(__name__)

# Twilio serves a recording's audio at its URL plus the format's extension, and the recording
# resource itself (which DELETE removes) at its URL plus ".json".
AUDIO_SUFFIX = ".mp3"
AUDIO_TYPE = "audio/mpeg"
RESOURCE_SUFFIX = ".json"
PURGE_EVERY_SECONDS = 3600


@dataclass(frozen=True)
class Pending:
    """What the job still has to do for one recording."""

    url: str
    copied: bool
    deleted: bool


def file_name(recording_id: int) -> str:
    """The name older versions gave the copy in RECORDINGS_DIR, made from our own id."""
    return f"{recording_id}{AUDIO_SUFFIX}"


def copy_recording(context: Context, recording_id: int) -> None:
    """Job: keep our own copy of the recording, then delete Twilio's if the settings say so."""
    settings = context.settings
    pending = _pending(context, recording_id)
    if pending is None:
        return
    if not rest.has_credentials(settings):
        log.info("no Twilio credentials: recording %s NOT copied", recording_id)
        return
    if not pending.copied:
        copy = fetch(context, pending.url, recording_id)
        _record_copy(context, recording_id, copy)
    if settings.recordings_delete_at_twilio and not pending.deleted:
        delete_at_twilio(context, pending.url)
        _record_deletion(context, recording_id)


def _pending(context: Context, recording_id: int) -> Pending | None:
    with context.transaction() as session:
        row = session.get(Recording, recording_id)
        if row is None:
            log.warning("recording %s is gone; nothing to copy", recording_id)
            return None
        return Pending(row.url, row.stored_at is not None, row.deleted_at_twilio is not None)


def fetch(context: Context, url: str, recording_id: int) -> files.Saved:
    """Stream the audio into the storage; raise (for RQ to retry) on any failure."""
    with rest.download(context.settings, context.twilio_http, url + AUDIO_SUFFIX) as chunks:
        copy = context.files.save(AUDIO_TYPE, chunks)
    if copy.size == 0:
        context.files.remove(copy.file_id)
        raise ValueError(f"recording {recording_id}: Twilio sent no audio")
    return copy


def delete_at_twilio(context: Context, url: str) -> None:
    """DELETE the recording resource (one already gone is as good as deleted)."""
    rest.delete(context.settings, context.twilio_http, url + RESOURCE_SUFFIX)


def _record_copy(context: Context, recording_id: int, copy: files.Saved) -> None:
    with context.transaction() as session:
        session.execute(
            update(Recording)
            .where(Recording.id == recording_id)
            .values(
                stored_file_id=copy.file_id,
                stored_path=None,
                stored_bytes=copy.size,
                stored_sha256=copy.sha256,
                stored_at=utcnow(),
            )
        )


def _record_deletion(context: Context, recording_id: int) -> None:
    with context.transaction() as session:
        session.execute(
            update(Recording).where(Recording.id == recording_id).values(deleted_at_twilio=utcnow())
        )


def write_due(context: Context) -> bool:
    """The purge of the current hour, as an outbox row: each relay round writes it, and its key
    lets one row in between all the workers."""
    if context.settings.recordings_keep_days <= 0:
        return False
    with context.transaction() as session:
        return tasks.purge_recordings(session, int(time.time() // PURGE_EVERY_SECONDS))


def purge_old(context: Context) -> int:
    """Job: delete our copies kept longer than RECORDINGS_KEEP_DAYS (0: kept for ever), one at
    a time, each ticket's history saying so; return how many."""
    days = context.settings.recordings_keep_days
    if days <= 0:
        return 0
    purged = 0
    for recording_id in _older_than(context, utcnow() - timedelta(days=days)):
        if _purge(context, recording_id, days):
            purged += 1
    return purged


def _older_than(context: Context, moment: datetime) -> list[int]:
    with context.transaction() as session:
        return list(
            session.scalars(
                select(Recording.id).where(
                    Recording.stored_file_id.is_not(None),
                    Recording.purged_at.is_(None),
                    Recording.created_at < moment,
                )
            )
        )


def _purge(context: Context, recording_id: int, days: int) -> bool:
    with context.transaction() as session:
        row = session.get(Recording, recording_id, with_for_update=True)
        if row is None or row.stored_file_id is None:
            return False  # another worker purged it meanwhile
        file_id = row.stored_file_id
        row.stored_file_id, row.purged_at = None, utcnow()
        if row.ticket_id is not None:
            ticket = session.get_one(Ticket, row.ticket_id)
            data = {"recording_id": recording_id, "days": days}
            ticket.events.append(TicketEvent(kind=TicketEventKind.RECORDING_PURGED, data=data))
    context.files.remove(file_id)  # after the row lets go of it: never half-played
    return True


@dataclass(frozen=True)
class Playable:
    """Our copy of a recording, ready to be streamed."""

    file_id: int
    size: int


def playable(session: Session, recording: Recording) -> Playable | None:
    """Our copy of the recording, if the job has made it (and retention has not removed it)."""
    row = files.complete(session, recording.stored_file_id)
    return Playable(row.id, row.size) if row is not None else None


def move_from_folder(context: Context, folder: Path) -> Iterator[int]:
    """Move each copy older versions kept in ``folder`` (RECORDINGS_DIR) into the storage,
    then delete the file; yield each recording's id as it is moved."""
    with context.transaction() as session:
        rows = session.execute(
            select(Recording.id, Recording.stored_path).where(
                Recording.stored_path.is_not(None), Recording.stored_file_id.is_(None)
            )
        ).all()
    for recording_id, name in rows:
        path = folder / Path(name or "").name  # a name, never a path
        if not path.is_file():
            log.warning("recording %s: %s is not in %s; left as it is", recording_id, name, folder)
            continue
        with path.open("rb") as audio:
            copy = context.files.save(AUDIO_TYPE, iter(lambda: audio.read(65536), b""))
        _record_copy(context, recording_id, copy)
        path.unlink()
        yield recording_id
