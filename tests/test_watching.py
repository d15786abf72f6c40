"""Watching the service: /metrics behind its token, /livez and /readyz beside /healthz, and log
lines as JSON naming the call, ticket and job they concern, redacted as ever."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.orm import Session

import settings
from app import create_app
from helpdesk import jobs
from migrations import alembic_config
from models import Notification, NotificationChannel, OutboxTask, Ticket
from queueing import outbox
from redaction import RedactingJsonFormatter
from tests import jobs as test_jobs
from tests.conftest import ROOT, app_config
from tests.phone import (
    CATA,
    MARIE,
    OFFICE,
    RecordingTwilioHttp,
    at,
    helpdesk,
    place_call,
    signed_post,
    the_ticket,
)

TOKEN = "metrics-t0ken"


def _app(engine_url: str, **extra: Any) -> Flask:
    return create_app(app_config(engine_url, CATA_NUMBERS=[CATA], OFFICE_NUMBER=OFFICE, **extra))


def _scrape(app: Flask) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics: (name, labels) → value."""
    answer = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200, answer.data
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.get_data(as_text=True))
        for sample in family.samples
    }


def test_metrics_are_not_served_without_a_token_set(app: Flask) -> None:
    assert app.test_client().get("/metrics").status_code == 404


def test_metrics_ask_for_the_token(engine_url: str) -> None:
    client = _app(engine_url, METRICS_TOKEN=TOKEN).test_client()
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer guess"})
    assert (wrong.status_code, wrong.headers["WWW-Authenticate"]) == (401, "Bearer")


def test_metrics_show_the_webhooks_latency_the_outbox_and_the_notifications(
    phone_app: Flask, db: Session, engine_url: str
) -> None:
    app = _app(engine_url, METRICS_TOKEN=TOKEN)
    place_call(app, at(2026, 12, 1, 10), press="6")  # a regular call: a ticket, its notices
    samples = _scrape(app)
    incoming = (("method", "POST"), ("route", "/voice/incoming"))
    assert samples[("altilogix_request_seconds_count", incoming)] == 1
    written = len(db.scalars(select(OutboxTask)).all())
    assert written > 0
    assert samples[("altilogix_outbox_backlog", ())] == written
    assert samples[("altilogix_jobs", (("state", "pending"),))] == written
    assert samples[("altilogix_jobs", (("state", "failed"),))] == 0
    assert ("altilogix_notifications", (("channel", "sms"), ("state", "sent"))) in samples
    assert samples[("altilogix_spool_waiting", ())] == 0
    assert ("altilogix_outbox_lag_seconds", ()) in samples


def test_pages_not_delivered_are_counted(phone_app: Flask, db: Session, engine_url: str) -> None:
    app = _app(engine_url, METRICS_TOKEN=TOKEN)
    place_call(app, at(2026, 12, 1, 10), press="7")  # the CATA: the technicians are paged
    pages = db.scalars(
        select(Notification).where(Notification.channel == NotificationChannel.SMS)
    ).all()
    undelivered = [p for p in pages if p.state.value not in ("sent", "logged")]
    assert _scrape(app)[("altilogix_pages_undelivered", ())] == len(undelivered)


def test_livez_answers_while_the_process_does(app: Flask) -> None:
    answer = app.test_client().get("/livez")
    assert (answer.status_code, answer.get_json()) == (200, {"status": "ok"})


def test_readyz_is_ready_with_a_database_and_a_writable_spool(app: Flask) -> None:
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "ready"


def test_readyz_is_unready_when_the_spool_cannot_be_written(
    engine_url: str, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    app = create_app(app_config(engine_url, SPOOL_DIR=str(blocker / "spool")))
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["spool"] == {"ok": False}


def test_readyz_is_unready_without_the_database(tmp_path: Path) -> None:
    app = create_app(app_config("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["database"]["ok"] is False


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What LOG_FORMAT=json writes, as configure_logging sets it up."""
    root = logging.getLogger()
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    root.addHandler(handler)
    saved = [(h, h.formatter) for h in root.handlers]
    level = root.level
    try:
        settings.configure_logging(settings.load({}, {"LOG_FORMAT": "json", "TESTING": True}))
        root.setLevel(logging.INFO)
        yield output
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        for each, formatter in saved:
            each.setFormatter(formatter)


def _records(output: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.getvalue().splitlines() if line]


def test_json_logging_is_set_up_on_every_handler(json_lines: io.StringIO) -> None:
    handlers = logging.getLogger().handlers
    assert all(isinstance(h.formatter, RedactingJsonFormatter) for h in handlers)


def test_a_webhooks_log_lines_carry_its_call_sid_redacted(
    phone_app: Flask, json_lines: io.StringIO
) -> None:
    sid = "CA" + "7" * 32
    signed_post(phone_app, "/voice/incoming", {"CallSid": sid, "From": MARIE}, token="forged")
    refused = [r for r in _records(json_lines) if "badly signed" in r["message"]]
    assert len(refused) == 1
    assert refused[0]["call_sid"] == sid
    assert refused[0]["level"] == "WARNING"
    assert MARIE not in json_lines.getvalue()


def test_a_jobs_log_lines_carry_the_job_and_its_ticket(
    phone_app: Flask, db: Session, json_lines: io.StringIO
) -> None:
    place_call(phone_app, at(2026, 12, 1, 10), press="6")
    ticket = db.scalars(select(Ticket)).one()
    outbox.add(db, test_jobs.SAY, {"ticket_id": ticket.id, "text": f"calling {MARIE}"})
    db.commit()
    row = db.scalars(select(OutboxTask).where(OutboxTask.task == "test.say")).one()
    jobs.perform(helpdesk(phone_app), row.id, test_jobs.TABLE)
    said = [r for r in _records(json_lines) if r["logger"] == "tests.jobs"]
    assert [(r["job"], r["ticket"], r["call_sid"]) for r in said] == [
        (f"test.say:{row.id}", str(ticket.number), None)
    ]
    assert said[0]["message"] == "calling +1514…01"


def test_every_webhook_of_a_call_logs_a_line_with_its_call_sid_route_status_and_time(
    phone_app: Flask, json_lines: io.StringIO
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), press="6")
    steps = [e.text.split("?")[0] for e in transcript.entries if e.kind == "request"]
    asked = [*steps, "/voice/status"]  # the status callback ends every call
    answered = [r for r in _records(json_lines) if r["message"].startswith("webhook ")]
    assert [r["route"] for r in answered] == asked
    assert [r["call_sid"] for r in answered] == [transcript.call_sid] * len(asked)
    assert {(r["level"], r["status"]) for r in answered} == {("INFO", 200)}
    assert all(isinstance(r["duration_ms"], int) for r in answered)


def test_a_calls_webhook_lines_carry_its_ticket_once_opened(
    phone_app: Flask, db: Session, json_lines: io.StringIO
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), press="6")
    number = str(the_ticket(db, transcript).number)
    answered = [r for r in _records(json_lines) if r["message"].startswith("webhook ")]
    tickets = {r["route"]: r["ticket"] for r in answered}
    assert tickets["/voice/incoming"] is None
    assert (tickets["/voice/recorded"], tickets["/voice/status"]) == (number, number)


def test_the_jobs_of_a_call_log_their_job_ticket_and_call(
    phone_app: Flask, db: Session, json_lines: io.StringIO
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), press="6")
    number = str(the_ticket(db, transcript).number)
    context = helpdesk(phone_app).replace(twilio_http=RecordingTwilioHttp())  # the audio
    for row in db.scalars(select(OutboxTask).order_by(OutboxTask.id)).all():
        jobs.perform(context, row.id)
    done = {r["job"]: r for r in _records(json_lines) if r["message"].startswith("job done")}
    copied = next(r for job, r in done.items() if job.startswith("recording.copy:"))
    assert (copied["call_sid"], copied["ticket"]) == (transcript.call_sid, number)
    follow_up = next(r for job, r in done.items() if job.startswith("ticket.follow_up:"))
    assert follow_up["ticket"] == number


def test_a_job_that_will_be_tried_again_says_so_on_a_line_naming_it(
    app: Flask, db: Session, json_lines: io.StringIO
) -> None:
    outbox.add(db, test_jobs.FLAKY, {"name": "flaky"})
    db.commit()
    row = db.scalars(select(OutboxTask)).one()
    with pytest.raises(RuntimeError):
        jobs.perform(helpdesk(app), row.id, test_jobs.TABLE)
    failed = [r for r in _records(json_lines) if r["logger"] == "helpdesk.jobs"]
    assert [(r["level"], r["job"], r["message"]) for r in failed] == [
        ("WARNING", f"test.flaky:{row.id}", "job failed (RuntimeError), tried again in 10 s")
    ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _get(url: str, token: str = "") -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as answer:
        body: bytes = answer.read()
        return body.decode()


def test_metrics_add_up_the_requests_of_every_gunicorn_worker(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'web.db'}"
    command.upgrade(alembic_config(database), "head")
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "TESTING": "true",
        "SECRET_KEY": "test-secret",
        "PORT": str(port),
        "WEB_CONCURRENCY": "3",
        "METRICS_TOKEN": TOKEN,
        "METRICS_DIR": str(tmp_path / "metrics"),
        "SPOOL_DIR": str(tmp_path / "spool"),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "app:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(f"{base}/readyz")  # up (the timings of /livez are the test's)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("gunicorn did not start")
                time.sleep(0.2)
        for _ in range(30):
            _get(f"{base}/livez")
        for _ in range(6):  # whichever worker answers the scrape, it counts all 30
            text = _get(f"{base}/metrics", TOKEN)
            families = {f.name: f for f in text_string_to_metric_families(text)}
            samples = families["altilogix_request_seconds"].samples
            count = [
                s.value
                for s in samples
                if s.name.endswith("_count") and s.labels["route"] == "/livez"
            ]
            assert count == [30]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
