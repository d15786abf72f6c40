"""Job: copy a caller's message from Twilio into the app's own storage (RECORDINGS_DIR), then,
with RECORDINGS_DELETE_AT_TWILIO, delete Twilio's copy.

Read, fetch, record: the row is read in one short transaction, the audio is fetched with no
transaction open, and the copy is recorded in another. The file is written under a temporary
name and renamed, so a fetch cut short never passes for a copy; a retry of a recording already
copied (or already deleted at Twilio) sends no request at all.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import update

from helpdesk.context import Context
from models import Recording, utcnow
from settings import Settings
from telephony import rest

log = logging.getLogger(__name__)

# Twilio serves a recording's audio at its URL plus the format's extension, and the recording
# resource itself (which DELETE removes) at its URL plus ".json".
AUDIO_SUFFIX = ".mp3"
AUDIO_TYPE = "audio/mpeg"
RESOURCE_SUFFIX = ".json"


@dataclass(frozen=True)
class Pending:
    """What the job still has to do for one recording."""

    url: str
    copied: bool
    deleted: bool


@dataclass(frozen=True)
class Copy:
    name: str  # the file's name in RECORDINGS_DIR
    size: int
    sha256: str


def file_name(recording_id: int) -> str:
    """Made from our own id, never from anything Twilio sent: no path can be smuggled in."""
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
        copy = fetch(context, pending.url, Path(settings.recordings_dir), recording_id)
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


def fetch(context: Context, url: str, folder: Path, recording_id: int) -> Copy:
    """Download the audio into ``folder``; raise (for RQ to retry) on any failure."""
    folder.mkdir(parents=True, exist_ok=True)
    name = file_name(recording_id)
    digest, size = hashlib.sha256(), 0
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    try:
        with (
            os.fdopen(handle, "wb") as out,
            rest.download(context.settings, context.twilio_http, url + AUDIO_SUFFIX) as chunks,
        ):
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if size == 0:
            raise ValueError(f"recording {recording_id}: Twilio sent no audio")
        os.replace(temporary, folder / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Copy(name, size, digest.hexdigest())


def delete_at_twilio(context: Context, url: str) -> None:
    """DELETE the recording resource (one already gone is as good as deleted)."""
    rest.delete(context.settings, context.twilio_http, url + RESOURCE_SUFFIX)


def _record_copy(context: Context, recording_id: int, copy: Copy) -> None:
    with context.transaction() as session:
        session.execute(
            update(Recording)
            .where(Recording.id == recording_id)
            .values(
                stored_path=copy.name,
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


def stored_file(settings: Settings, recording: Recording) -> Path | None:
    """Our copy of the recording, if the job has made it and it is still there."""
    if recording.stored_path is None:
        return None
    path = Path(settings.recordings_dir) / recording.stored_path
    return path if path.is_file() else None
