"""Callers' messages copied from Twilio into the storage every host reaches (the database, in
chunks) and played from the console, with Range; deleted after RECORDINGS_KEEP_DAYS.

A loopback HTTP server stands in for Twilio's media URLs: it serves the audio, checks nothing
and keeps every request it gets, so the tests see the credentials sent and the deletions.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from moto.server import ThreadedMotoServer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import settings
from app import create_app
from helpdesk import context as helpdesk_context
from helpdesk import jobs, recordings
from helpdesk.context import Context
from models import (
    OutboxTask,
    Recording,
    StoredChunk,
    StoredFile,
    Ticket,
    TicketEventKind,
    utcnow,
)
from storage import files
from tests.conftest import app_config
from tests.console_world import HELENE, KARIM, LUC, Staff, give_passwords
from tests.phone import at, place_call

SID = "AC" + "0" * 32
TOKEN = "test-auth-token"
AUDIO = b"ID3\x04\x00" + bytes(range(256)) * 40  # 10,245 bytes that stand for an MP3


@dataclass
class FakeTwilio:
    """What the stand-in for Twilio received: (method, path, Authorization header)."""

    base: str
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    audio: bytes = AUDIO


@pytest.fixture
def twilio_media() -> Iterator[FakeTwilio]:
    fake = FakeTwilio("")

    class Handler(BaseHTTPRequestHandler):
        def _keep(self) -> None:
            fake.requests.append((self.command, self.path, self.headers["Authorization"] or ""))

        def do_GET(self) -> None:
            self._keep()
            self.send_response(200)
            self.send_header("Content-Type", "audio/mpeg")
            self.send_header("Content-Length", str(len(fake.audio)))
            self.end_headers()
            self.wfile.write(fake.audio)

        def do_DELETE(self) -> None:
            self._keep()
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def _context(engine_url: str, folder: Path, **extra: Any) -> Context:
    values = settings.load({}, app_config(engine_url, RECORDINGS_DIR=str(folder), **extra))
    return helpdesk_context.build(values)


def _message(phone_app: Flask, db: Session, fake: FakeTwilio) -> tuple[Recording, int]:
    """A caller's message, its URL pointed at the stand-in; and its copy task's id."""
    place_call(phone_app, at(2026, 12, 1, 10), press="6")
    recording = db.scalars(select(Recording)).one()
    twilio_path = recording.url.removeprefix("https://api.twilio.com")
    db.execute(update(Recording).values(url=fake.base + twilio_path))
    db.commit()
    db.expire_all()
    task = db.scalars(select(OutboxTask).where(OutboxTask.task == "recording.copy")).one()
    return db.scalars(select(Recording)).one(), task.id


def _kept(context: Context, row: Recording) -> bytes:
    """Our copy's bytes, read back from the storage."""
    assert row.stored_file_id is not None and row.stored_bytes is not None
    return b"".join(context.files.read(row.stored_file_id, 0, row.stored_bytes))


def _basic() -> str:
    return "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()


def test_a_message_is_copied_once_with_the_accounts_credentials(
    phone_app: Flask, db: Session, engine_url: str, tmp_path: Path, twilio_media: FakeTwilio
) -> None:
    recording, task_id = _message(phone_app, db, twilio_media)
    db.expire_all()
    assert db.get(OutboxTask, task_id).args == {"recording_id": recording.id}  # type: ignore[union-attr]
    context = _context(engine_url, tmp_path / "recordings")
    jobs.perform(context, task_id)
    path = f"{recording.url.removeprefix(twilio_media.base)}.mp3"
    assert twilio_media.requests == [("GET", path, _basic())]
    assert not (tmp_path / "recordings").exists()  # nothing on this host's disk
    db.expire_all()
    row = db.get(Recording, recording.id)
    assert row is not None and row.stored_at is not None and row.deleted_at_twilio is None
    assert (row.stored_path, row.stored_bytes) == (None, len(AUDIO))
    assert row.stored_sha256 == hashlib.sha256(AUDIO).hexdigest()
    assert _kept(context, row) == AUDIO


def test_a_retry_of_a_copied_message_sends_nothing(
    phone_app: Flask, db: Session, engine_url: str, tmp_path: Path, twilio_media: FakeTwilio
) -> None:
    recording, _task = _message(phone_app, db, twilio_media)
    context = _context(engine_url, tmp_path, RECORDINGS_DELETE_AT_TWILIO="true")
    from helpdesk.recordings import copy_recording

    copy_recording(context, recording.id)
    copy_recording(context, recording.id)
    assert [(method, auth) for method, _path, auth in twilio_media.requests] == [
        ("GET", _basic()),
        ("DELETE", _basic()),
    ]


def test_the_recording_is_deleted_at_twilio_when_the_setting_says_so(
    phone_app: Flask, db: Session, engine_url: str, tmp_path: Path, twilio_media: FakeTwilio
) -> None:
    recording, task_id = _message(phone_app, db, twilio_media)
    jobs.perform(_context(engine_url, tmp_path, RECORDINGS_DELETE_AT_TWILIO="true"), task_id)
    resource = recording.url.removeprefix(twilio_media.base)
    assert twilio_media.requests == [
        ("GET", f"{resource}.mp3", _basic()),
        ("DELETE", f"{resource}.json", _basic()),
    ]
    db.expire_all()
    row = db.get(Recording, recording.id)
    assert row is not None and row.deleted_at_twilio is not None
    assert _kept(_context(engine_url, tmp_path), row) == AUDIO


def test_a_failed_fetch_keeps_no_file_and_lets_the_job_retry(
    phone_app: Flask, db: Session, engine_url: str, tmp_path: Path, twilio_media: FakeTwilio
) -> None:
    recording, task_id = _message(phone_app, db, twilio_media)
    twilio_media.audio = b""
    with pytest.raises(ValueError, match="no audio"):
        jobs.perform(_context(engine_url, tmp_path), task_id)
    assert db.scalars(select(StoredFile)).all() == []
    db.expire_all()
    row = db.get(Recording, recording.id)
    assert row is not None and row.stored_at is None


@pytest.fixture
def played(
    phone_app: Flask,
    db: Session,
    engine_url: str,
    tmp_path: Path,
    twilio_media: FakeTwilio,
) -> tuple[Flask, Recording]:
    """One message copied by a worker on one host; the app of another host, whose disk never
    saw it."""
    give_passwords(db)
    recording, task_id = _message(phone_app, db, twilio_media)
    jobs.perform(_context(engine_url, tmp_path / "worker-host"), task_id)
    app = create_app(app_config(engine_url, RECORDINGS_DIR=str(tmp_path / "web-host")))
    return app, recording


def test_staff_hear_the_message_from_the_apps_own_copy(played: tuple[Flask, Recording]) -> None:
    app, recording = played
    helene = Staff(app)
    helene.sign_in(HELENE)
    ticket_page = helene.text("/console/tickets/1001")
    route = f"/console/recordings/{recording.id}"
    assert ticket_page.count(f'<audio controls preload="none" src="{route}">') == 2
    assert "api.twilio.com" not in ticket_page and "127.0.0.1" not in ticket_page
    with helene.get(route) as whole:
        assert (whole.status_code, whole.mimetype, whole.data) == (200, "audio/mpeg", AUDIO)
        assert "media-src 'self';" in whole.headers["Content-Security-Policy"]
    with helene.get(route, headers={"Range": "bytes=100-199"}) as part:
        assert (part.status_code, part.data) == (206, AUDIO[100:200])
        assert part.headers["Content-Range"] == f"bytes 100-199/{len(AUDIO)}"


def test_the_message_is_refused_to_visitors_and_to_technicians_not_on_its_line(
    played: tuple[Flask, Recording],
) -> None:
    app, recording = played
    route = f"/console/recordings/{recording.id}"
    anonymous = app.test_client().get(route)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/console/sign-in?next=")
    karim, luc = Staff(app), Staff(app)
    karim.sign_in(KARIM)
    luc.sign_in(LUC)
    with luc.get(route) as heard:
        assert heard.status_code == 200  # on duty for the regular line
    assert karim.get(route).status_code == 403  # the urgent line only
    assert luc.get(f"/console/recordings/{recording.id + 1}").status_code == 404


def test_a_message_not_copied_yet_is_announced_not_played(
    phone_app: Flask, db: Session, engine_url: str
) -> None:
    give_passwords(db)
    place_call(phone_app, at(2026, 12, 1, 10), press="6")
    recording = db.scalars(select(Recording)).one()
    helene = Staff(phone_app)
    helene.sign_in(HELENE)
    page = helene.text("/console/tickets/1001")
    assert "<audio" not in page
    assert helene.get(f"/console/recordings/{recording.id}").status_code == 404


# Three chunks and a bit: ranges that cross from one chunk into the next.
LONG_AUDIO = bytes(range(251)) * (3 * files.CHUNK_BYTES // 251 + 100)


def test_a_long_message_is_played_from_another_host_in_ranges_across_its_chunks(
    phone_app: Flask,
    db: Session,
    engine_url: str,
    tmp_path: Path,
    twilio_media: FakeTwilio,
) -> None:
    twilio_media.audio = LONG_AUDIO
    give_passwords(db)
    recording, task_id = _message(phone_app, db, twilio_media)
    jobs.perform(_context(engine_url, tmp_path / "worker-host"), task_id)
    assert len(db.scalars(select(StoredChunk.seq)).all()) == 4
    helene = Staff(create_app(app_config(engine_url, RECORDINGS_DIR=str(tmp_path / "other"))))
    helene.sign_in(HELENE)
    route = f"/console/recordings/{recording.id}"
    boundary = files.CHUNK_BYTES
    with helene.get(route, headers={"Range": f"bytes={boundary - 10}-{2 * boundary + 9}"}) as part:
        assert (part.status_code, part.data) == (206, LONG_AUDIO[boundary - 10 : 2 * boundary + 10])
        assert part.headers["Content-Length"] == str(boundary + 20)
    with helene.get(route, headers={"Range": "bytes=-5"}) as tail:
        assert (tail.status_code, tail.data) == (206, LONG_AUDIO[-5:])
    with helene.get(route) as whole:
        assert (whole.status_code, whole.data) == (200, LONG_AUDIO)
        assert whole.headers["Accept-Ranges"] == "bytes"


def test_a_range_past_the_end_is_refused_with_the_length(played: tuple[Flask, Recording]) -> None:
    app, recording = played
    helene = Staff(app)
    helene.sign_in(HELENE)
    past = helene.get(f"/console/recordings/{recording.id}", headers={"Range": "bytes=99999-"})
    assert (past.status_code, past.headers["Content-Range"]) == (416, f"bytes */{len(AUDIO)}")


def _purge_context(engine_url: str, tmp_path: Path) -> Context:
    return _context(engine_url, tmp_path, RECORDINGS_KEEP_DAYS="30")


def test_retention_deletes_older_copies_and_the_ticket_says_so(
    played: tuple[Flask, Recording], db: Session, engine_url: str, tmp_path: Path
) -> None:
    app, recording = played
    context = _purge_context(engine_url, tmp_path)
    with time_machine.travel(at(2026, 12, 31, 10), tick=False):
        assert recordings.purge_old(context) == 0  # 30 days are not over
    with time_machine.travel(at(2027, 1, 1, 10), tick=False):
        assert recordings.purge_old(context) == 1
        assert recordings.purge_old(context) == 0  # once
    db.expire_all()
    row = db.get(Recording, recording.id)
    assert row is not None and row.stored_file_id is None and row.purged_at is not None
    assert (
        db.scalars(select(StoredFile)).all() == [] and db.scalars(select(StoredChunk)).all() == []
    )
    ticket = db.scalars(select(Ticket)).one()
    purged = [e for e in ticket.events if e.kind == TicketEventKind.RECORDING_PURGED]
    assert [e.data for e in purged] == [{"recording_id": recording.id, "days": 30}]
    helene = Staff(app)
    helene.sign_in(HELENE)
    page = helene.text("/console/tickets/1001")
    assert "<audio" not in page and "supprimé après la période de conservation" in page
    assert helene.get(f"/console/recordings/{recording.id}").status_code == 404


def test_without_a_retention_setting_copies_are_kept_and_no_purge_is_written(
    played: tuple[Flask, Recording], db: Session, engine_url: str, tmp_path: Path
) -> None:
    context = _context(engine_url, tmp_path)
    with time_machine.travel(at(2030, 1, 1, 10), tick=False):
        assert recordings.purge_old(context) == 0
    assert recordings.write_due(context) is False
    assert len(db.scalars(select(StoredFile)).all()) == 1


def test_the_purge_is_written_once_an_hour_whatever_the_workers(
    db: Session, engine_url: str, tmp_path: Path
) -> None:
    context = _purge_context(engine_url, tmp_path)
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        assert recordings.write_due(context) is True
        assert recordings.write_due(context) is False  # another worker's round, the same hour
    with time_machine.travel(at(2026, 12, 1, 11), tick=False):
        assert recordings.write_due(context) is True
    tasks = db.scalars(select(OutboxTask.task)).all()
    assert tasks == ["recording.purge", "recording.purge"]


def test_copies_an_older_version_kept_on_disk_are_moved_into_the_database(
    phone_app: Flask, db: Session, engine_url: str, tmp_path: Path, twilio_media: FakeTwilio
) -> None:
    recording, _task = _message(phone_app, db, twilio_media)
    folder = tmp_path / "recordings"
    folder.mkdir()
    (folder / f"{recording.id}.mp3").write_bytes(AUDIO)
    db.execute(update(Recording).values(stored_path=f"{recording.id}.mp3", stored_at=utcnow()))
    db.commit()
    app = create_app(app_config(engine_url, RECORDINGS_DIR=str(folder)))
    result = app.test_cli_runner().invoke(args=["recordings", "move"])
    assert result.output == f"1 recording(s) moved from {folder} into the database\n"
    assert list(folder.iterdir()) == []
    db.expire_all()
    row = db.get(Recording, recording.id)
    assert row is not None and row.stored_path is None
    assert _kept(_context(engine_url, folder), row) == AUDIO


@dataclass
class S3:
    """A simulated S3 service (moto's server, a real HTTP server) with a bucket of the test's
    own (the simulation keeps its buckets for the whole run)."""

    settings: dict[str, str]
    client: Any

    def objects(self) -> dict[str, bytes]:
        bucket = self.settings["S3_BUCKET"]
        listing = self.client.list_objects_v2(Bucket=bucket).get("Contents", [])
        return {
            item["Key"]: self.client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            for item in listing
        }


@pytest.fixture
def s3() -> Iterator[S3]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    values = {
        "FILE_STORAGE": "s3",
        "S3_BUCKET": f"altilogix-{uuid.uuid4().hex[:12]}",
        "S3_ENDPOINT_URL": f"http://{host}:{port}",
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": "test-key",
        "S3_SECRET_ACCESS_KEY": "test-secret",
    }
    context = helpdesk_context.build(settings.load({}, {"TESTING": True, **values}))
    assert context.bucket is not None
    context.bucket.client.create_bucket(Bucket=values["S3_BUCKET"])
    try:
        yield S3(values, context.bucket.client)
    finally:
        server.stop()


def test_with_file_storage_s3_the_message_goes_to_the_bucket_and_plays_from_another_host(
    phone_app: Flask,
    db: Session,
    engine_url: str,
    tmp_path: Path,
    twilio_media: FakeTwilio,
    s3: S3,
) -> None:
    twilio_media.audio = LONG_AUDIO
    give_passwords(db)
    recording, task_id = _message(phone_app, db, twilio_media)
    jobs.perform(_context(engine_url, tmp_path / "worker-host", **s3.settings), task_id)
    db.expire_all()
    row = db.get(Recording, recording.id)
    assert row is not None and row.stored_file_id is not None
    stored = db.get(StoredFile, row.stored_file_id)
    assert stored is not None and stored.backend == "s3"
    assert s3.objects() == {stored.key: LONG_AUDIO}
    assert db.scalars(select(StoredChunk)).all() == []
    other_host = create_app(app_config(engine_url, **s3.settings))
    helene = Staff(other_host)
    helene.sign_in(HELENE)
    with helene.get(
        f"/console/recordings/{recording.id}", headers={"Range": "bytes=5-300004"}
    ) as part:
        assert (part.status_code, part.data) == (206, LONG_AUDIO[5:300005])


def test_retention_deletes_the_object_in_the_bucket(
    played: tuple[Flask, Recording],
    db: Session,
    engine_url: str,
    tmp_path: Path,
    twilio_media: FakeTwilio,
    s3: S3,
) -> None:
    _app, kept_in_database = played
    place_call(create_app(app_config(engine_url)), at(2026, 12, 20, 10), press="6")
    newer = db.scalars(select(Recording).where(Recording.id != kept_in_database.id)).one()
    db.execute(
        update(Recording).where(Recording.id == newer.id).values(url=twilio_media.base + "/r2")
    )
    db.commit()
    context = _context(engine_url, tmp_path, RECORDINGS_KEEP_DAYS="30", **s3.settings)
    recordings.copy_recording(context, newer.id)
    assert len(s3.objects()) == 1
    # The first message, kept in the database before FILE_STORAGE=s3, is still read from there.
    db.expire_all()
    first = db.get(Recording, kept_in_database.id)
    assert first is not None and _kept(context, first) == AUDIO
    with time_machine.travel(at(2027, 1, 20, 10), tick=False):
        assert recordings.purge_old(context) == 2
    assert s3.objects() == {}
    assert db.scalars(select(StoredFile)).all() == []


def test_file_storage_s3_without_a_bucket_is_refused_by_name() -> None:
    with pytest.raises(settings.ConfigError, match="FILE_STORAGE=s3 needs S3_BUCKET"):
        settings.load({}, {"TESTING": True, "FILE_STORAGE": "s3"})
