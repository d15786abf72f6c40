"""Messages while the database is down: the caller still leaves one, it is kept on local disk,
and written (with the ticket it opens) when the database is back. Nothing is lost."""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

import log_fields
from app import create_app
from helpdesk import replay
from helpdesk.context import Context
from models import Call, CallEvent, CallEventKind, Line, OutboxTask, Recording, Ticket
from tests import concurrency
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
    assert _said(answer) == [
        "Merci, votre message est enregistré.",
        "Thank you, your message has been recorded.",
        "Au revoir.",
        "Goodbye.",
    ]
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


# -- written once, whichever copy of the folder is replayed and however often -------------------

STATUS = {
    "CallSid": SID,
    "From": MARIE,
    "To": MAIN,
    "CallStatus": "completed",
    "CallDuration": "60",
}


def _copy(folder: Path, tmp_path: Path) -> Path:
    """The operator's copy of the dead host's spool folder (the folder itself stays)."""
    return Path(shutil.copytree(folder, tmp_path / "copied-spool"))


def _replay_with_the_cli(engine_url: str, folder: Path, tmp_path: Path) -> str:
    other_host = create_app(
        app_config(engine_url, SPOOL_DIR=str(tmp_path / "its-own-spool"), CATA_NUMBERS=[CATA])
    )
    runner = other_host.test_cli_runner()
    return runner.invoke(args=["spool", "replay", "--folder", str(folder)]).output


def _events(db: Session, kind: CallEventKind) -> list[CallEvent]:
    db.expire_all()
    return list(db.scalars(select(CallEvent).where(CallEvent.kind == kind)))


def test_a_status_replayed_from_its_folder_and_from_a_copy_writes_one_hung_up(
    down: Flask, folder: Path, engine_url: str, db: Session, tmp_path: Path
) -> None:
    signed_post(down, "/voice/status", STATUS)
    copy = _copy(folder, tmp_path)
    assert replay.replay_spool(helpdesk(_back(engine_url, folder))) == 1
    output = _replay_with_the_cli(engine_url, copy, tmp_path)
    assert output == "0 spooled webhook(s) written, 1 already written before (removed)\n"
    assert len(_events(db, CallEventKind.HUNG_UP)) == 1
    assert list(copy.glob("*.json")) == []


def test_a_copy_replayed_again_and_again_writes_nothing_more(
    down: Flask, folder: Path, engine_url: str, db: Session, tmp_path: Path
) -> None:
    signed_post(down, "/voice/status", STATUS)
    copies = [Path(shutil.copytree(folder, tmp_path / f"copy-{n}")) for n in range(3)]
    replay.replay_spool(helpdesk(_back(engine_url, folder)))
    outputs = [_replay_with_the_cli(engine_url, copy, tmp_path) for copy in copies]
    assert outputs == ["0 spooled webhook(s) written, 1 already written before (removed)\n"] * 3
    assert len(_events(db, CallEventKind.HUNG_UP)) == 1


def _what_the_message_wrote(db: Session) -> tuple[int, int, list[str], list[str]]:
    db.expire_all()
    tasks = sorted(f"{t.task} {t.key}" for t in db.scalars(select(OutboxTask)))
    events = sorted(e.kind.value for e in db.scalars(select(CallEvent)))
    recordings = len(db.scalars(select(Recording)).all())
    return recordings, len(db.scalars(select(Ticket)).all()), tasks, events


def test_a_message_with_a_recording_replayed_twice_gives_one_ticket_and_one_set_of_notices(
    down: Flask, folder: Path, engine_url: str, db: Session, tmp_path: Path
) -> None:
    signed_post(down, "/voice/recorded?kind=voicemail&after_error=1", _recording())
    copy = _copy(folder, tmp_path)
    assert replay.replay_spool(helpdesk(_back(engine_url, folder))) == 1
    once = _what_the_message_wrote(db)
    assert once[:2] == (1, 1) and any(t.startswith("ticket.follow_up") for t in once[2])
    _replay_with_the_cli(engine_url, copy, tmp_path)
    assert _what_the_message_wrote(db) == once


def test_an_entry_spooled_before_entries_had_ids_is_written_once(
    down: Flask, folder: Path, engine_url: str, db: Session, tmp_path: Path
) -> None:
    signed_post(down, "/voice/status", STATUS)
    spooled = next(folder.glob("*.json"))
    entry = json.loads(spooled.read_text())
    del entry["id"]  # as an older version wrote it
    spooled.write_text(json.dumps(entry))
    copy = _copy(folder, tmp_path)
    assert replay.replay_spool(helpdesk(_back(engine_url, folder))) == 1
    output = _replay_with_the_cli(engine_url, copy, tmp_path)
    assert output == "0 spooled webhook(s) written, 1 already written before (removed)\n"
    assert len(_events(db, CallEventKind.HUNG_UP)) == 1


def test_every_spooled_entry_has_an_id_of_its_own(down: Flask, folder: Path) -> None:
    signed_post(down, "/voice/status", STATUS)
    signed_post(down, "/voice/status", STATUS)  # Twilio sent it twice: two entries
    ids = {json.loads(p.read_text())["id"] for p in folder.glob("*.json")}
    assert len(ids) == 2


WEBHOOK_AT = datetime(2026, 3, 10, 14, 5, tzinfo=UTC)


def test_a_call_first_seen_in_the_spool_starts_and_ends_when_its_webhook_came(
    down: Flask, folder: Path, engine_url: str, db: Session
) -> None:
    with time_machine.travel(WEBHOOK_AT, tick=False):
        signed_post(down, "/voice/status", STATUS)
    back = _back(engine_url, folder)
    with time_machine.travel(WEBHOOK_AT + timedelta(hours=2), tick=False):
        assert replay.replay_spool(helpdesk(back)) == 1
    call = db.scalars(select(Call)).one()
    assert (call.started_at, call.ended_at) == (WEBHOOK_AT, WEBHOOK_AT)
    assert [e.at for e in _events(db, CallEventKind.HUNG_UP)] == [WEBHOOK_AT]


def test_a_replayed_messages_timeline_says_when_the_message_was_left(
    down: Flask, folder: Path, engine_url: str, db: Session
) -> None:
    with time_machine.travel(WEBHOOK_AT, tick=False):
        signed_post(down, "/voice/recorded?kind=voicemail&after_error=1", _recording())
    back = _back(engine_url, folder)
    with time_machine.travel(WEBHOOK_AT + timedelta(hours=2), tick=False):
        replay.replay_spool(helpdesk(back))
    db.expire_all()
    assert {e.at for e in db.scalars(select(CallEvent))} == {WEBHOOK_AT}
    assert db.scalars(select(Call.started_at)).one() == WEBHOOK_AT


def test_two_replays_at_once_of_two_copies_write_once(
    down: Flask, folder: Path, engine_url: str, db: Session, tmp_path: Path
) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL's row locks (SQLite has one writer at once)")
    signed_post(down, "/voice/status", STATUS)
    entry = json.loads(next(folder.glob("*.json")).read_text())
    copy = _copy(folder, tmp_path)
    context = helpdesk(_back(engine_url, folder))
    copied = context.replace(settings=context.settings.replace(spool_dir=str(copy)))
    second: list[replay.Replayed] = []
    with context.transaction() as first:  # the first replay is writing, not yet committed...
        assert replay.write_once(first, context, entry)
        other = threading.Thread(target=lambda: second.append(replay.replay_folder(copied)))
        other.start()  # ...when the copy's replay comes: it waits on the entry's id
        assert concurrency.waits_for_a_lock(db.get_bind(), other)
    concurrency.finish(other)
    assert second == [replay.Replayed(written=0, already=1)]
    assert len(_events(db, CallEventKind.HUNG_UP)) == 1
    assert list(copy.glob("*.json")) == []


# -- the ids of the entries written are forgotten after a while ---------------------------------

REPLAYED_AT = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)


def _replayed_at(moment: datetime, down: Flask, folder: Path, engine_url: str) -> Context:
    """A status spooled an hour before ``moment``, replayed then: the helpdesk's context."""
    with time_machine.travel(moment - timedelta(hours=1), tick=False):
        signed_post(down, "/voice/status", STATUS)
    context = helpdesk(_back(engine_url, folder))
    with time_machine.travel(moment, tick=False):
        assert replay.replay_spool(context) == 1
    return context


def test_the_ids_of_entries_written_long_ago_are_forgotten(
    down: Flask, folder: Path, engine_url: str, db: Session
) -> None:
    context = _replayed_at(REPLAYED_AT, down, folder, engine_url)
    with time_machine.travel(REPLAYED_AT + replay.KEEP_IDS - timedelta(minutes=1), tick=False):
        assert replay.forget_old(context) == 0
    with time_machine.travel(REPLAYED_AT + replay.KEEP_IDS + timedelta(minutes=1), tick=False):
        assert replay.forget_old(context) == 1


def test_forgetting_old_ids_is_written_once_a_day_whatever_the_workers(
    down: Flask, folder: Path, engine_url: str, db: Session
) -> None:
    context = _replayed_at(REPLAYED_AT, down, folder, engine_url)
    with time_machine.travel(REPLAYED_AT + replay.KEEP_IDS - timedelta(minutes=1), tick=False):
        assert replay.write_due(context) is False  # nothing old enough: no row at all
    with time_machine.travel(REPLAYED_AT + replay.KEEP_IDS + timedelta(minutes=1), tick=False):
        assert replay.write_due(context) is True
        assert replay.write_due(context) is False  # another worker's round, the same day
    assert db.scalars(select(OutboxTask.task)).all() == ["spool.forget_replayed"]


def test_a_replay_after_another_call_s_webhook_logs_under_the_replayed_call(
    down: Flask, folder: Path, engine_url: str, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    signed_post(down, "/voice/recorded?kind=voicemail&after_error=1", _recording())
    back = _back(engine_url, folder)
    other = "CA" + "9" * 32
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(log_fields.FieldsFilter())
    with time_machine.travel(time.time() + 31, tick=False):  # the web replays after 30 s
        signed_post(back, "/voice/incoming", {"CallSid": other, "From": MARIE}).close()
    replayed = [r for r in caplog.records if r.name.startswith("helpdesk.")]
    assert replayed, "the webhook replayed the spool"
    assert all(getattr(r, "call_sid", None) != other for r in replayed)
