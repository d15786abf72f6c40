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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import update

from helpdesk import senders
from helpdesk.context import Context
from models import Recording, utcnow
from settings import Settings

log = logging.getLogger(__name__)

# Twilio serves a recording's audio at its URL plus the format's extension, and the recording
# resource itself (which DELETE removes) at its URL plus ".json".
AUDIO_SUFFIX = ".mp3"
AUDIO_TYPE = "audio/mpeg"
RESOURCE_SUFFIX = ".json"
TIMEOUT_SECONDS = 30  # to connect, and between two reads: a job never hangs on the network
CHUNK_BYTES = 64 * 1024


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
    if not senders.has_twilio(settings):
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


def _auth(settings: Settings) -> tuple[str, str]:
    return settings.twilio_account_sid, settings.twilio_auth_token


def fetch(context: Context, url: str, folder: Path, recording_id: int) -> Copy:
    """Download the audio into ``folder``; raise (for RQ to retry) on any failure."""
    folder.mkdir(parents=True, exist_ok=True)
    name = file_name(recording_id)
    digest, size = hashlib.sha256(), 0
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out, _download(context, url + AUDIO_SUFFIX) as chunks:
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


@contextmanager
def _download(context: Context, url: str) -> Iterator[Iterable[bytes]]:
    """The audio's bytes, streamed. requests drops the Authorization header when Twilio
    redirects to another host (its media storage), so the credentials go to Twilio alone."""
    auth = _auth(context.settings)
    if context.twilio_http is not None:  # a test's recorder of Twilio's API: no network
        answer = context.twilio_http.request("GET", url, auth=auth, timeout=TIMEOUT_SECONDS)
        _check(answer.status_code, url)
        yield [str(answer.content).encode()]
        return
    with requests.get(url, auth=auth, timeout=TIMEOUT_SECONDS, stream=True) as response:
        response.raise_for_status()
        yield response.iter_content(CHUNK_BYTES)


def delete_at_twilio(context: Context, url: str) -> None:
    """DELETE the recording resource; one already gone (404) is as good as deleted."""
    auth, resource = _auth(context.settings), url + RESOURCE_SUFFIX
    if context.twilio_http is not None:
        status = context.twilio_http.request("DELETE", resource, auth=auth).status_code
    else:
        status = requests.delete(resource, auth=auth, timeout=TIMEOUT_SECONDS).status_code
    if status != 404:
        _check(status, resource)


def _check(status: int, url: str) -> None:
    if not 200 <= status < 300:
        raise RuntimeError(f"Twilio answered {status} to {url}")


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
