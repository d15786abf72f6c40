"""Messages while the database is down: the caller still leaves one, it is kept on local disk,
and written (with the ticket it opens) when the database is back. Nothing is lost."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import create_app
from helpdesk import replay
from models import Call, Line, Recording, Ticket
from tests.conftest import app_config
from tests.phone import CATA, MAIN, MARIE, helpdesk, signed_post

NOWHERE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
SID = "CA" + "7" * 32


def _recording(caller: str = MARIE) -> dict[str, str]:
    return {
        "CallSid": SID,
        "From": caller,
        "To": MAIN,
        "RecordingUrl": "https://api.twilio.example/Recordings/RE" + "7" * 32,
        "RecordingSid": "RE" + "7" * 32,
        "RecordingDuration": "21",
    }


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "spool"


@pytest.fixture
def down(folder: Path) -> Flask:
    """The phone line while its database is unreachable."""
    return create_app(app_config(NOWHERE, SPOOL_DIR=str(folder)))


def _said(response: Any) -> list[str]:
    return [e.text or "" for e in ET.fromstring(response.get_data(as_text=True)) if e.tag == "Say"]


def test_with_the_database_down_a_call_still_ends_in_a_recording(down: Flask) -> None:
    answer = signed_post(down, "/voice/incoming", {"CallSid": SID, "From": MARIE, "To": MAIN})
    assert "<Record" in answer.get_data(as_text=True)


def test_the_message_is_kept_on_disk_and_the_caller_told_so(down: Flask, folder: Path) -> None:
    answer = signed_post(down, "/voice/recorded?kind=voicemail&after_error=1", _recording())
    assert answer.status_code == 200
    saved, goodbye = _said(answer)
    assert saved == "Merci, votre message est enregistré."
    assert goodbye.endswith("Au revoir.")
    assert len(list(folder.glob("*.json"))) == 1


def test_the_end_of_the_call_is_kept_too(down: Flask, folder: Path) -> None:
    status = {"CallSid": SID, "From": MARIE, "To": MAIN, "CallStatus": "completed"}
    assert signed_post(down, "/voice/status", status).status_code == 200
    assert len(list(folder.glob("*.json"))) == 1


def _back(engine_url: str, folder: Path) -> Flask:
    """The phone line once the database answers again, on the same spool."""
    from directory import entries, sync
    from tests.conftest import DEMO_DIRECTORY

    app = create_app(app_config(engine_url, SPOOL_DIR=str(folder), CATA_NUMBERS=[CATA]))
    with helpdesk(app).transaction() as session:
        sync.load(session, entries.parse(DEMO_DIRECTORY.read_text()))
    return app


def test_an_authorized_clients_message_opens_their_ticket_when_the_database_is_back(
    down: Flask, folder: Path, engine_url: str, db: Session
) -> None:
    signed_post(down, "/voice/recorded?kind=voicemail&after_error=1", _recording())
    status = {**_recording(), "CallStatus": "completed", "CallDuration": "60"}
    signed_post(down, "/voice/status", status)
    back = _back(engine_url, folder)
    assert replay.replay_spool(helpdesk(back)) == 2
    ticket = db.scalars(select(Ticket)).one()
    assert (ticket.priority, ticket.to_verify, ticket.requester) == (Line.REGULAR, False, MARIE)
    assert db.scalars(select(Recording.ticket_id)).one() == ticket.id
    call = db.scalars(select(Call)).one()
    assert (call.status, call.ticket_id) == ("completed", ticket.id)
    assert list(folder.glob("*")) == []


def test_an_unknown_callers_message_waits_for_a_supervisor(
    down: Flask, folder: Path, engine_url: str, db: Session
) -> None:
    signed_post(down, "/voice/recorded?kind=voicemail&after_error=1", _recording("anonymous"))
    replay.replay_spool(helpdesk(_back(engine_url, folder)))
    ticket = db.scalars(select(Ticket)).one()
    assert ticket.to_verify is True


def test_a_spooled_message_is_written_once_however_often_it_is_replayed(
    down: Flask, folder: Path, engine_url: str, db: Session
) -> None:
    signed_post(down, "/voice/recorded?kind=voicemail&after_error=1", _recording())
    entry = json.loads(next(folder.glob("*.json")).read_text())
    back = helpdesk(_back(engine_url, folder))
    replay.replay_spool(back)
    replay.apply(back, entry)  # as if a replay died before removing its file
    assert len(db.scalars(select(Ticket)).all()) == 1


def test_a_webhook_writes_back_what_no_worker_wrote_within_half_a_minute(
    down: Flask, folder: Path, engine_url: str, db: Session
) -> None:
    """On a host without a worker, the web process writes the spool back itself; right after
    the database returns it leaves it to the worker, to stay free for the incoming calls."""
    import time_machine

    signed_post(down, "/voice/recorded?kind=voicemail&after_error=1", _recording())
    back = _back(engine_url, folder)
    signed_post(back, "/voice/incoming", {"CallSid": "CA" + "8" * 32, "From": MARIE}).close()
    assert len(list(folder.glob("*.json"))) == 1  # not yet: a worker would have done it
    later = time.time() + 31
    with time_machine.travel(later, tick=False):
        answer = signed_post(back, "/voice/incoming", {"CallSid": "CA" + "9" * 32, "From": MARIE})
        answer.close()  # the WSGI server closes it once Twilio has the answer
    assert list(folder.glob("*.json")) == []
    assert db.scalars(select(Recording)).first() is not None


def test_a_dead_hosts_spool_copied_to_another_host_is_replayed_there(
    down: Flask, folder: Path, engine_url: str, db: Session, tmp_path: Path
) -> None:
    signed_post(down, "/voice/recorded?kind=voicemail&after_error=1", _recording())
    other_host = create_app(
        app_config(engine_url, SPOOL_DIR=str(tmp_path / "its-own-spool"), CATA_NUMBERS=[CATA])
    )
    result = other_host.test_cli_runner().invoke(args=["spool", "replay", "--folder", str(folder)])
    assert result.output == "1 spooled webhook(s) written\n"
    assert len(db.scalars(select(Ticket)).all()) == 1
    assert list(folder.glob("*.json")) == []
