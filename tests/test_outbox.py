"""The outbox: tasks ride the web transaction, and reach RQ even after Redis was away."""

from __future__ import annotations

from datetime import timedelta

import pytest
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue, SimpleWorker
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import settings
import worker
from models import Counter, OutboxState, OutboxTask, utcnow
from queueing import outbox, runtime
from tests import jobs  # noqa: F401  (registers the test task)
from tests.conftest import app_config


@pytest.fixture
def queue(redis: Redis, sessions: sessionmaker[Session]) -> Queue:
    runtime.configure({}, sessions)
    return Queue("altilogix-test", connection=redis)


def _states(db: Session) -> list[OutboxState]:
    db.expire_all()
    return list(db.scalars(select(OutboxTask.state).order_by(OutboxTask.id)))


def test_a_task_is_written_with_the_change_that_causes_it(db: Session) -> None:
    outbox.add(db, "test.count", {"name": "a"})
    db.rollback()
    assert _states(db) == []
    outbox.add(db, "test.count", {"name": "a"})
    db.commit()
    assert _states(db) == [OutboxState.PENDING]


def test_a_task_with_a_key_is_written_once(db: Session) -> None:
    for _ in range(2):
        outbox.add(db, "test.count", {"name": "a"}, key="ticket-7-notify")
        db.commit()
    assert len(_states(db)) == 1


def test_an_unknown_task_is_refused_when_written(db: Session) -> None:
    with pytest.raises(ValueError, match="unknown task 'nope'"):
        outbox.add(db, "nope")


def test_the_relay_moves_tasks_to_rq_under_their_own_job_id(
    db: Session, sessions: sessionmaker[Session], queue: Queue
) -> None:
    outbox.add(db, "test.count", {"name": "a"})
    db.commit()
    assert outbox.relay(sessions, queue) == 1
    row = db.scalars(select(OutboxTask)).one()
    assert queue.get_job_ids() == [f"outbox-{row.id}"]
    assert _states(db) == [OutboxState.QUEUED]
    assert outbox.relay(sessions, queue) == 0


def test_a_relayed_task_runs_in_the_worker(
    db: Session, sessions: sessionmaker[Session], queue: Queue, redis: Redis
) -> None:
    outbox.add(db, "test.count", {"name": "runs"})
    db.commit()
    outbox.relay(sessions, queue)
    SimpleWorker([queue], connection=redis).work(burst=True)
    db.expire_all()
    assert db.get(Counter, "runs") is not None
    assert db.get(Counter, "runs").value == 1  # type: ignore[union-attr]


def test_a_task_for_later_waits_in_rq_scheduler(
    db: Session, sessions: sessionmaker[Session], queue: Queue
) -> None:
    outbox.add(db, "test.count", {"name": "later"}, run_at=utcnow() + timedelta(minutes=30))
    db.commit()
    outbox.relay(sessions, queue)
    row = db.scalars(select(OutboxTask)).one()
    assert queue.get_job_ids() == []
    assert queue.scheduled_job_registry.get_job_ids() == [row.job_id]


def test_with_redis_away_tasks_wait_in_the_outbox_and_go_later(
    db: Session, sessions: sessionmaker[Session], queue: Queue
) -> None:
    outbox.add(db, "test.count", {"name": "a"})
    db.commit()
    nowhere = Redis(port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    away = Queue("altilogix-test", connection=nowhere)
    relay = worker.OutboxRelay(sessions, away, interval=1)
    assert relay.relay_once() == 0
    assert _states(db) == [OutboxState.PENDING]
    assert outbox.relay(sessions, queue) == 1


def test_the_worker_relays_the_outbox_at_start_up(
    db: Session, engine_url: str, redis: Redis
) -> None:
    outbox.add(db, "test.count", {"name": "a"})
    db.commit()
    config = settings.load({}, app_config(engine_url, RQ_QUEUE="altilogix-test"))
    _, relay = worker.make_worker(config)
    assert relay.relay_once() == 1
    assert Queue("altilogix-test", connection=redis).count == 1


def test_the_backlog_counts_pending_tasks(db: Session) -> None:
    outbox.add(db, "test.count", {"name": "a"})
    outbox.add(db, "test.count", {"name": "b"})
    db.commit()
    assert outbox.backlog(db) == 2
