"""``python worker.py --burst``: relay the outbox, run every job that is due, exit when none is
left, as ``rq worker --burst`` does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session

import worker
from helpdesk import jobs
from mail import intake as email_intake
from models import OutboxState, OutboxTask, utcnow
from tests import services
from tests.conftest import SmtpInbox
from tests.mailing import MARIE, letter, prepare
from tests.mailing import worker as worker_context
from tests.phone import RecordingTwilioHttp

ROOT = Path(__file__).resolve().parent.parent


def test_a_burst_runs_what_is_due_and_what_that_queues_then_stops(
    phone_app: Flask,
    db: Session,
    redis: Redis,
    smtp_inbox: SmtpInbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prepare(db)
    context = worker_context(phone_app, smtp_inbox).replace(twilio_http=RecordingTwilioHttp())
    monkeypatch.setattr(jobs, "process_context", lambda: context)  # the worker's, in this test
    email_intake.receive(context, letter(sender=MARIE), source="pipe")
    rq_worker, relay = worker.make_worker(context, redis)
    assert worker.burst(rq_worker, relay) >= 3  # the follow-up, the notices, the acknowledgement
    assert sorted(m["To"] for m in smtp_inbox.messages) == [
        "luc@altilogix.example",
        "marie.tremblay@boulangerie.example",
        "sophie@altilogix.example",
    ]
    db.expire_all()
    due = (OutboxTask.state == OutboxState.PENDING, OutboxTask.run_at <= utcnow())
    assert db.scalars(select(OutboxTask).where(*due)).all() == []  # later ones wait in the outbox
    assert worker.burst(rq_worker, relay) == 0  # nothing left: a second burst runs nothing


def test_worker_burst_from_the_command_line_exits_once_done(
    phone_app: Flask, db: Session, redis: Redis, smtp_inbox: SmtpInbox, engine_url: str
) -> None:
    prepare(db)
    email_intake.receive(worker_context(phone_app), letter(sender=MARIE), source="pipe")
    environ = {
        **os.environ,
        "DATABASE_URL": engine_url,
        "REDIS_URL": services.REDIS_TEST_URL,
        "SMTP_URL": smtp_inbox.url,
        "DEBUG": "true",
        "TWILIO_ACCOUNT_SID": "",
    }
    result = subprocess.run(
        [sys.executable, "worker.py", "--burst"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert "marie.tremblay@boulangerie.example" in [m["To"] for m in smtp_inbox.messages]
