"""The outbox: tasks ride the web transaction, are handed to RQ when they are due and not
before, reach RQ even after Redis was away, are handed again when RQ lost them, and fail again
later rather than at once; the row is the truth and the only scheduler."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue, SimpleWorker
from rq.job import Job, JobStatus
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import worker
from helpdesk import jobs as helpdesk_jobs
from helpdesk.context import Context
from models import Counter, Installation, OutboxState, OutboxTask, utcnow
from queueing import heartbeat, outbox, relay
from queueing.kinds import TaskError
from queueing.relay import Relay
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


@pytest.fixture
def hand(context: Context, queue: Queue, installation: str) -> Relay:
    """A relay of the test tasks, whose jobs run against the test's context."""
    return Relay(context.sessions, queue, installation, jobs.TABLE, "worker-1")


def _states(db: Session) -> list[OutboxState]:
    db.expire_all()
    return list(db.scalars(select(OutboxTask.state).order_by(OutboxTask.id)))


def _work(queue: Queue) -> None:
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


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
        jobs.TABLE.spec("nope")


def test_arguments_the_job_does_not_take_are_refused_when_written(db: Session) -> None:
    with pytest.raises(TaskError, match=r"test\.count"):
        outbox.add(db, COUNT, {"nmae": "typo"})
    with pytest.raises(TaskError, match=r"test\.count"):
        outbox.add(db, COUNT, {})


def test_the_relay_moves_due_tasks_to_rq_under_a_job_id_of_this_database(
    db: Session, queue: Queue, installation: str, hand: Relay
) -> None:
    outbox.add(db, COUNT, {"name": "a"})
    db.commit()
    assert hand.hand_due() == 1
    row = db.scalars(select(OutboxTask)).one()
    assert queue.get_job_ids() == [f"outbox-{installation[:12]}-{row.id}"]
    assert _states(db) == [OutboxState.QUEUED]
    assert hand.hand_due() == 0


def test_a_chore_that_fails_does_not_hold_back_the_due_tasks(
    db: Session, context: Context, queue: Queue, installation: str
) -> None:
    def unreadable_spool() -> None:
        raise PermissionError("spool folder")

    chores = (unreadable_spool,)
    stuck = Relay(context.sessions, queue, installation, jobs.TABLE, "worker-1", chores)
    outbox.add(db, COUNT, {"name": "a"})
    db.commit()
    assert stuck.once() == 1
    assert _states(db) == [OutboxState.QUEUED]


def test_a_relayed_task_runs_in_the_worker_and_is_marked_done(
    db: Session, queue: Queue, hand: Relay, serving: Context
) -> None:
    outbox.add(db, COUNT, {"name": "runs"})
    db.commit()
    hand.hand_due()
    _work(queue)
    db.expire_all()
    assert db.get(Counter, "runs").value == 1  # type: ignore[union-attr]
    assert _states(db) == [OutboxState.DONE]


def test_a_task_done_is_not_done_again_when_its_job_runs_twice(
    db: Session, context: Context
) -> None:
    outbox.add(db, COUNT, {"name": "once"})
    db.commit()
    task_id = db.scalars(select(OutboxTask.id)).one()
    helpdesk_jobs.perform(context, task_id, jobs.TABLE)
    helpdesk_jobs.perform(context, task_id, jobs.TABLE)
    db.expire_all()
    assert db.get(Counter, "once").value == 1  # type: ignore[union-attr]


def test_a_task_for_later_waits_in_the_outbox_not_in_redis(
    db: Session, queue: Queue, hand: Relay, redis: Redis
) -> None:
    outbox.add(db, COUNT, {"name": "later"}, run_at=utcnow() + timedelta(minutes=30))
    db.commit()
    assert hand.hand_due() == 0
    assert queue.get_job_ids() == [] and _states(db) == [OutboxState.PENDING]
    assert redis.keys("rq:scheduled:*") == []  # RQ's scheduler is never used
    with time_machine.travel(utcnow() + timedelta(minutes=31)):
        assert hand.hand_due() == 1


def test_with_redis_away_tasks_wait_in_the_outbox_and_go_later(
    db: Session, context: Context, installation: str, hand: Relay
) -> None:
    outbox.add(db, COUNT, {"name": "a"})
    db.commit()
    nowhere = Redis(port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    away = Relay(
        context.sessions, Queue("altilogix-test", connection=nowhere), installation, jobs.TABLE, "w"
    )
    assert away.once() == 0
    assert _states(db) == [OutboxState.PENDING]
    assert hand.hand_due() == 1


def _later() -> time_machine.travel:
    return time_machine.travel(utcnow() + relay.LOST_AFTER + timedelta(seconds=1))


def test_tasks_lost_by_a_redis_restart_are_handed_again(
    db: Session, queue: Queue, installation: str, hand: Relay, redis: Redis
) -> None:
    outbox.add(db, COUNT, {"name": "lost"})
    db.commit()
    hand.hand_due()
    redis.flushdb()  # what a Redis without persistence holds after a restart
    with _later():
        assert hand.rescue() == 1
    row = db.scalars(select(OutboxTask)).one()
    assert queue.get_job_ids() == [outbox.job_id(installation, row.id)]


def test_tasks_still_in_redis_are_not_handed_twice(db: Session, hand: Relay) -> None:
    outbox.add(db, COUNT, {"name": "kept"})
    db.commit()
    hand.hand_due()
    with _later():
        assert hand.rescue() == 0


def test_a_job_in_no_queue_is_handed_again(
    db: Session, queue: Queue, installation: str, hand: Relay, redis: Redis
) -> None:
    outbox.add(db, COUNT, {"name": "stuck"})
    db.commit()
    hand.hand_due()
    redis.delete(queue.key)  # the job's hash is there, its place in the queue is not
    with _later():
        assert hand.rescue() == 1
    assert len(queue.get_job_ids()) == 1


def test_a_job_held_by_a_worker_that_is_gone_is_handed_again(
    db: Session, queue: Queue, installation: str, hand: Relay, redis: Redis
) -> None:
    outbox.add(db, COUNT, {"name": "held"})
    db.commit()
    hand.hand_due()
    row_id = db.scalars(select(OutboxTask.id)).one()
    job = Job.fetch(outbox.job_id(installation, row_id), connection=redis)
    queue.remove(job)  # a worker took it...
    job.set_status(JobStatus.STARTED)
    redis.hset(job.key, "worker_name", "worker-gone")  # ...and was SIGKILLed since
    heartbeat.beat(redis, installation, "worker-gone", utcnow() - timedelta(minutes=5))
    with _later():
        assert hand.rescue() == 1
    assert queue.get_job_ids() == [outbox.job_id(installation, row_id)]


def test_a_job_held_by_a_live_worker_is_left_to_it(
    db: Session, queue: Queue, installation: str, hand: Relay, redis: Redis
) -> None:
    outbox.add(db, COUNT, {"name": "busy"})
    db.commit()
    hand.hand_due()
    row_id = db.scalars(select(OutboxTask.id)).one()
    job = Job.fetch(outbox.job_id(installation, row_id), connection=redis)
    queue.remove(job)
    job.set_status(JobStatus.STARTED)
    redis.hset(job.key, "worker_name", "worker-2")
    with _later():
        heartbeat.beat(redis, installation, "worker-2", utcnow())
        assert hand.rescue() == 0


def test_two_databases_sharing_one_redis_use_queues_of_their_own(
    db: Session, context: Context, redis: Redis
) -> None:
    _, first = worker.make_worker(context, redis)
    assert first.queue.name.startswith("altilogix-")
    db.execute(delete(Installation))
    db.commit()
    _, second = worker.make_worker(context, redis)  # a fresh database: a new identity
    assert first.queue.name != second.queue.name


def test_the_worker_relays_the_outbox_at_start_up(
    db: Session, context: Context, redis: Redis
) -> None:
    outbox.add(db, COUNT, {"name": "a"})
    db.commit()
    _, started = worker.make_worker(context, redis, jobs.TABLE)
    handed = started.once()  # the task, and the periodic rows its chores write (hourly looks)
    [row] = db.scalars(select(OutboxTask).where(OutboxTask.task == COUNT.name))
    db.refresh(row)
    assert row.state == OutboxState.QUEUED
    assert Queue(started.queue.name, connection=redis).count == handed


def test_the_backlog_counts_pending_tasks(db: Session) -> None:
    outbox.add(db, COUNT, {"name": "a"})
    outbox.add(db, COUNT, {"name": "b"})
    db.commit()
    assert outbox.backlog(db) == 2


def test_every_queued_task_is_looked_at_in_turn_however_many_there_are(
    db: Session, hand: Relay, redis: Redis
) -> None:
    for n in range(5):
        outbox.add(db, COUNT, {"name": f"t{n}"})
    db.commit()
    hand.hand_due()
    redis.flushdb()
    with _later():
        first, second = hand.rescue(limit=3), hand.rescue(limit=3)
    assert (first, second, hand.rescue_from) == (3, 2, 0)


def test_a_task_that_fails_is_due_again_later_as_a_new_due_time(
    db: Session, context: Context, queue: Queue, hand: Relay, serving: Context
) -> None:
    outbox.add(db, jobs.FLAKY, {"name": "flaky"})
    db.commit()
    hand.hand_due()
    _work(queue)  # the first run fails
    db.expire_all()
    row = db.scalars(select(OutboxTask)).one()
    assert (row.state, row.attempts) == (OutboxState.PENDING, 1)
    assert row.run_at > utcnow() + timedelta(seconds=5)  # 10 s later, not now
    assert hand.hand_due() == 0
    with time_machine.travel(utcnow() + timedelta(seconds=11)):
        assert hand.hand_due() == 1  # the same job id, handed again
    _work(queue)
    assert _states(db) == [OutboxState.DONE]


def test_a_task_whose_retries_are_spent_is_marked_failed(
    db: Session, queue: Queue, hand: Relay, serving: Context
) -> None:
    outbox.add(db, jobs.BREAK, {"why": "always"})
    db.commit()
    hand.hand_due()
    _work(queue)  # BREAK allows no retry
    assert _states(db) == [OutboxState.FAILED]
    assert outbox.failed(db) == 1
