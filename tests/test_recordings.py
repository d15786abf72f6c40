"""Callers' messages copied from Twilio into RECORDINGS_DIR and played from the console.

A loopback HTTP server stands in for Twilio's media URLs: it serves the audio, checks nothing
and keeps every request it gets, so the tests see the credentials sent and the deletions.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import settings
from app import create_app
from helpdesk import context as helpdesk_context
from helpdesk import jobs
from helpdesk.context import Context
from models import OutboxTask, Recording
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
    stored = tmp_path / "recordings" / f"{recording.id}.mp3"
    assert stored.read_bytes() == AUDIO
    assert sorted(p.name for p in stored.parent.iterdir()) == [f"{recording.id}.mp3"]
    db.expire_all()
    row = db.get(Recording, recording.id)
    assert row is not None and row.stored_at is not None and row.deleted_at_twilio is None
    assert (row.stored_path, row.stored_bytes) == (f"{recording.id}.mp3", len(AUDIO))
    assert row.stored_sha256 == hashlib.sha256(AUDIO).hexdigest()


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
    assert (tmp_path / f"{recording.id}.mp3").read_bytes() == AUDIO


def test_a_failed_fetch_keeps_no_file_and_lets_the_job_retry(
    phone_app: Flask, db: Session, engine_url: str, tmp_path: Path, twilio_media: FakeTwilio
) -> None:
    recording, task_id = _message(phone_app, db, twilio_media)
    twilio_media.audio = b""
    with pytest.raises(ValueError, match="no audio"):
        jobs.perform(_context(engine_url, tmp_path), task_id)
    assert list(tmp_path.iterdir()) == []
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
    """The app with one message copied into its RECORDINGS_DIR."""
    give_passwords(db)
    recording, task_id = _message(phone_app, db, twilio_media)
    jobs.perform(_context(engine_url, tmp_path), task_id)
    app = create_app(app_config(engine_url, RECORDINGS_DIR=str(tmp_path)))
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
