"""The outbox: tasks ride the web transaction, reach RQ even after Redis was away, and are
handed again when RQ lost them; the row is the truth."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import worker
from helpdesk.context import Context
from models import Counter, Installation, OutboxState, OutboxTask, utcnow
from queueing import outbox
from queueing.tasks import TaskError, spec
from tests import jobs
from tests.jobs import COUNT


@pytest.fixture
def installation(db: Session) -> str:
    key = outbox.installation_key(db)
    db.commit()
    return key


@pytest.fixture
def queue(redis: Redis) -> Queue:
    return Queue("altilogix-test", connection=redis)


def _states(db: Session) -> list[OutboxState]:
    db.expire_all()
    return list(db.scalars(select(OutboxTask.state).order_by(OutboxTask.id)))


def _work(context: Context, queue: Queue) -> None:
    burst = worker.HelpdeskSimpleWorker([queue], connection=queue.connection)
    burst.context = context
    burst.work(burst=True)


def test_a_task_is_written_with_the_change_that_causes_it(db: Session) -> None:
    outbox.add(db, COUNT, {"name": "a"})
    db.rollback()
    assert _states(db) == []
    outbox.add(db, COUNT, {"name": "a"})
    db.commit()
    assert _states(db) == [OutboxState.PENDING]


def test_a_task_with_a_key_is_written_once(db: Session) -> None:
    for _ in range(2):
        outbox.add(db, COUNT, {"name": "a"}, key="ticket-7-notify")
        db.commit()
    assert len(_states(db)) == 1


def test_an_unknown_task_is_refused_by_name(db: Session) -> None:
    with pytest.raises(TaskError, match="unknown task 'nope'"):
        spec("nope")


def test_arguments_the_job_does_not_take_are_refused_when_written(db: Session) -> None:
    with pytest.raises(TaskError, match=r"test\.count"):
        outbox.add(db, COUNT, {"nmae": "typo"})
    with pytest.raises(TaskError, match=r"test\.count"):
        outbox.add(db, COUNT, {})


def test_the_relay_moves_tasks_to_rq_under_a_job_id_of_this_database(
    db: Session, context: Context, queue: Queue, installation: str
) -> None:
    outbox.add(db, COUNT, {"name": "a"})
    db.commit()
    assert outbox.relay(context.sessions, queue, installation) == 1
    row = db.scalars(select(OutboxTask)).one()
    assert queue.get_job_ids() == [f"outbox-{installation[:12]}-{row.id}"]
    assert _states(db) == [OutboxState.QUEUED]
    assert outbox.relay(context.sessions, queue, installation) == 0


def test_a_relayed_task_runs_in_the_worker_and_is_marked_done(
    db: Session, context: Context, queue: Queue, installation: str
) -> None:
    outbox.add(db, COUNT, {"name": "runs"})
    db.commit()
    outbox.relay(context.sessions, queue, installation)
    _work(context, queue)
    db.expire_all()
    assert db.get(Counter, "runs").value == 1  # type: ignore[union-attr]
    assert _states(db) == [OutboxState.DONE]


def test_a_task_done_is_not_done_again_when_its_job_runs_twice(
    db: Session, context: Context
) -> None:
    from helpdesk import jobs

    outbox.add(db, COUNT, {"name": "once"})
    db.commit()
    task_id = db.scalars(select(OutboxTask.id)).one()
    jobs.perform(context, task_id)
    jobs.perform(context, task_id)
    db.expire_all()
    assert db.get(Counter, "once").value == 1  # type: ignore[union-attr]


def test_a_task_for_later_waits_in_rq_scheduler(
    db: Session, context: Context, queue: Queue, installation: str
) -> None:
    outbox.add(db, COUNT, {"name": "later"}, run_at=utcnow() + timedelta(minutes=30))
    db.commit()
    outbox.relay(context.sessions, queue, installation)
    row = db.scalars(select(OutboxTask)).one()
    assert queue.get_job_ids() == []
    assert queue.scheduled_job_registry.get_job_ids() == [outbox.job_id(installation, row.id)]


def test_with_redis_away_tasks_wait_in_the_outbox_and_go_later(
    db: Session, context: Context, queue: Queue, installation: str
) -> None:
    outbox.add(db, COUNT, {"name": "a"})
    db.commit()
    nowhere = Redis(port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    away = Queue("altilogix-test", connection=nowhere)
    relay = worker.OutboxRelay(context, away, installation, name="w")
    assert relay.relay_once() == 0
    assert _states(db) == [OutboxState.PENDING]
    assert outbox.relay(context.sessions, queue, installation) == 1


def test_tasks_lost_by_a_redis_restart_are_queued_again(
    db: Session, context: Context, queue: Queue, installation: str, redis: Redis
) -> None:
    outbox.add(db, COUNT, {"name": "lost"}, run_at=utcnow() + timedelta(hours=2))
    db.commit()
    outbox.relay(context.sessions, queue, installation)
    redis.flushdb()  # what a Redis without persistence holds after a restart
    with time_machine.travel(utcnow() + outbox.LOST_AFTER + timedelta(seconds=1)):
        assert outbox.recover(context.sessions, queue, installation) == (1, 0)
    row = db.scalars(select(OutboxTask)).one()
    assert queue.scheduled_job_registry.get_job_ids() == [outbox.job_id(installation, row.id)]


def test_tasks_still_in_redis_are_not_queued_twice(
    db: Session, context: Context, queue: Queue, installation: str
) -> None:
    outbox.add(db, COUNT, {"name": "kept"}, run_at=utcnow() + timedelta(hours=2))
    db.commit()
    outbox.relay(context.sessions, queue, installation)
    with time_machine.travel(utcnow() + outbox.LOST_AFTER + timedelta(seconds=1)):
        assert outbox.recover(context.sessions, queue, installation) == (0, 0)


def test_two_databases_sharing_one_redis_use_queues_of_their_own(
    db: Session, context: Context, redis: Redis
) -> None:
    first, _ = worker.queue_for(context, redis)
    assert first.name.startswith("altilogix-")
    db.execute(delete(Installation))
    db.commit()
    second, _ = worker.queue_for(context, redis)  # a fresh database: a new identity
    assert first.name != second.name


def test_the_worker_relays_the_outbox_at_start_up(
    db: Session, context: Context, redis: Redis
) -> None:
    outbox.add(db, COUNT, {"name": "a"})
    db.commit()
    _, relay = worker.make_worker(context)
    assert relay.relay_once() == 1
    assert Queue(relay.queue.name, connection=redis).count == 1


def test_the_backlog_counts_pending_tasks(db: Session) -> None:
    outbox.add(db, COUNT, {"name": "a"})
    outbox.add(db, COUNT, {"name": "b"})
    db.commit()
    assert outbox.backlog(db) == 2


def test_every_queued_task_is_looked_at_in_turn_however_many_there_are(
    db: Session, context: Context, queue: Queue, installation: str, redis: Redis
) -> None:
    for n in range(5):
        outbox.add(db, COUNT, {"name": f"t{n}"}, run_at=utcnow() + timedelta(hours=2))
    db.commit()
    outbox.relay(context.sessions, queue, installation)
    redis.flushdb()
    later = utcnow() + outbox.LOST_AFTER + timedelta(seconds=1)
    with time_machine.travel(later):
        first, cursor = outbox.recover(context.sessions, queue, installation, 0, limit=3)
        second, cursor = outbox.recover(context.sessions, queue, installation, cursor, limit=3)
    assert (first, second, cursor) == (3, 2, 0)


def test_a_task_whose_retries_are_spent_is_marked_failed(
    db: Session, context: Context, queue: Queue, installation: str
) -> None:
    outbox.add(db, jobs.BREAK, {"why": "always"})
    db.commit()
    outbox.relay(context.sessions, queue, installation)
    _work(context, queue)  # BREAK allows no retry
    assert _states(db) == [OutboxState.FAILED]
    assert outbox.failed(db) == 1
