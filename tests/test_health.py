"""/healthz: 200 while the phone line can take calls, with what is behind it."""

from __future__ import annotations

from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from sqlalchemy.orm import Session

from app import create_app
from helpdesk.context import Context
from queueing import outbox
from tests import jobs
from tests.conftest import app_config
from worker import OutboxRelay


def test_healthy_with_database_and_redis(client: FlaskClient, redis: Redis) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True, "outbox_backlog": 0}
    assert body["redis"] == {"ok": True}
    assert body["worker"] == {"ok": False, "last_heartbeat": None, "workers": 0}


def test_reports_the_outbox_backlog(client: FlaskClient, db: Session, redis: Redis) -> None:
    outbox.add(db, jobs.COUNT, {"name": "a"})
    db.commit()
    assert client.get("/healthz").get_json()["database"]["outbox_backlog"] == 1


def test_reports_the_workers_last_heartbeat(
    client: FlaskClient, redis: Redis, context: Context
) -> None:
    queue = Queue("altilogix-test", connection=redis)
    OutboxRelay(context, queue, "test-installation", name="w1").relay_once()
    body = client.get("/healthz").get_json()
    assert body["worker"]["ok"] is True
    assert body["worker"]["workers"] == 1
    assert body["worker"]["age_seconds"] < 5


def test_a_worker_whose_relay_stopped_beating_is_reported(
    client: FlaskClient, redis: Redis
) -> None:
    from datetime import timedelta

    from models import utcnow
    from queueing import heartbeat

    heartbeat.beat(redis, "w1", utcnow() - timedelta(minutes=5))
    assert client.get("/healthz").get_json()["worker"]["ok"] is False


def test_still_takes_calls_when_redis_is_down(engine_url: str) -> None:
    app = create_app(app_config(engine_url, REDIS_URL="redis://127.0.0.1:1/0"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["redis"] == {"ok": False, "error": "ConnectionError"}
    assert body["worker"]["ok"] is False


def test_unavailable_when_the_database_is_down() -> None:
    app = create_app(app_config("postgresql+psycopg://postgres@127.0.0.1:1/nowhere"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"]["ok"] is False
    assert response.get_json()["status"] == "down"
