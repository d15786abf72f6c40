"""/healthz: 200 only while the phone line and the back office behind it are well; what is not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from sqlalchemy import update
from sqlalchemy.orm import Session

from app import create_app
from health import OUTBOX_LATE_SECONDS
from helpdesk.context import Context
from models import OutboxTask, utcnow
from queueing import heartbeat, outbox
from queueing.relay import Relay
from tests import jobs
from tests.conftest import app_config


@pytest.mark.usefixtures("back_office_alive")
def test_healthy_with_database_redis_and_a_worker(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert body["can_take_calls"] is True
    assert body["database"] == {"ok": True}
    assert body["redis"] == {"ok": True}
    assert body["outbox"] == {
        "ok": True,
        "backlog": 0,
        "oldest_due_seconds": 0.0,
        "late_after_seconds": OUTBOX_LATE_SECONDS,
        "failed_for_good": 0,
        "notifications_unsure": 0,
        "notifications_held": 0,
        "notifications_refused": 0,
        "notifications_failing": 0,
        "spool_waiting": False,
        "spool_set_aside": 0,
    }
    assert body["worker"]["ok"] is True
    assert body["worker"]["workers"] == 1
    assert "scheduler" not in body  # the database is the only scheduler


def test_unavailable_without_a_worker(client: FlaskClient, redis: Redis) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["can_take_calls"] is True
    assert body["failing"] == ["worker"]
    assert body["worker"] == {"ok": False, "last_heartbeat": None, "workers": 0}


@pytest.mark.usefixtures("back_office_alive")
def test_reports_the_outbox_backlog(client: FlaskClient, db: Session) -> None:
    outbox.add(db, jobs.COUNT, {"name": "a"})
    db.commit()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["outbox"]["backlog"] == 1


@pytest.mark.usefixtures("back_office_alive")
def test_unavailable_when_the_outbox_is_late(client: FlaskClient, db: Session) -> None:
    outbox.add(db, jobs.COUNT, {"name": "a"})
    db.execute(update(OutboxTask).values(run_at=utcnow() - timedelta(minutes=10)))
    db.commit()
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failing"] == ["outbox"]
    assert body["outbox"]["ok"] is False
    assert body["outbox"]["oldest_due_seconds"] >= 600
    assert body["outbox"]["late_after_seconds"] == OUTBOX_LATE_SECONDS


def test_reports_the_workers_last_heartbeat(
    client: FlaskClient, redis: Redis, context: Context
) -> None:
    with context.transaction() as session:
        installation = outbox.installation_key(session)
    queue = Queue("altilogix-test", connection=redis)
    Relay(context.sessions, queue, installation, jobs.TABLE, "w1").once()
    body = client.get("/healthz").get_json()
    assert body["worker"]["ok"] is True
    assert body["worker"]["workers"] == 1
    assert body["worker"]["age_seconds"] < 5


def test_a_worker_whose_relay_stopped_beating_is_reported(
    client: FlaskClient, redis: Redis, db: Session
) -> None:
    installation = outbox.installation_key(db)
    db.commit()
    heartbeat.beat(redis, installation, "w1", utcnow() - timedelta(minutes=5))
    assert client.get("/healthz").get_json()["worker"]["ok"] is False


def test_takes_calls_but_is_unavailable_when_redis_is_down(engine_url: str) -> None:
    app = create_app(app_config(engine_url, REDIS_URL="redis://127.0.0.1:1/0"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["can_take_calls"] is True
    assert body["redis"] == {"ok": False, "error": "ConnectionError"}
    assert body["failing"] == ["redis", "worker"]


def test_unavailable_when_the_database_is_down() -> None:
    app = create_app(app_config("postgresql+psycopg://postgres@127.0.0.1:1/nowhere"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"]["ok"] is False
    assert body["status"] == "down"
    assert body["can_take_calls"] is False
    assert body["failing"][0] == "database"


@pytest.mark.usefixtures("back_office_alive")
def test_a_task_not_due_yet_is_not_late(client: FlaskClient, db: Session) -> None:
    """A notice planned for the next opening waits in the outbox by design."""
    outbox.add(db, jobs.COUNT, {"name": "a"}, run_at=utcnow() + timedelta(hours=12))
    db.execute(update(OutboxTask).values(created_at=utcnow() - timedelta(hours=1)))
    db.commit()
    assert client.get("/healthz").status_code == 200
