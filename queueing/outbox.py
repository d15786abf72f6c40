"""The outbox: tasks written with the change that causes them, relayed to RQ by the worker.

A web request only writes a row in its own transaction, so a Redis outage never slows it and
never loses a task. The row is the truth: the relay hands pending rows to RQ under a job id
unique per row and database; the job marks its row done; a row handed to RQ that RQ no longer
holds (a Redis restarted without persistence) is handed again. Jobs are idempotent, so a second
run does nothing twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from rq import Queue, Retry
from rq.job import Job
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from models import Installation, OutboxState, OutboxTask, utcnow
from models.db import insert_or_skip
from queueing.tasks import RETRY_INTERVALS, Task, TaskError, spec

log = logging.getLogger(__name__)

# Every outbox job runs through this one function, which reads its row.
RUNNER = "helpdesk.jobs.run"
# A row handed to RQ this long ago whose job RQ no longer knows is handed again.
LOST_AFTER = timedelta(seconds=30)


def add(
    session: Session,
    task: Task,
    args: Mapping[str, Any],
    *,
    key: str | None = None,
    run_at: datetime | None = None,
) -> bool:
    """Write a task to the outbox in the caller's transaction; False when its key was known."""
    task.check(args)
    values = {
        "task": task.name,
        "args": dict(args),
        "key": key,
        "run_at": run_at or utcnow(),
        "state": OutboxState.PENDING,
        "attempts": 0,
        "last_error": "",
        "created_at": utcnow(),
    }
    statement = insert_or_skip(session, OutboxTask).returning(OutboxTask.id)
    # On the session's connection, not through the ORM: nothing the ORM holds needs flushing
    # first (a task carries ids), so the step's pending rows still go out in one flush.
    return session.connection().execute(statement, values).first() is not None


def backlog(session: Session) -> int:
    """How many tasks wait for the relay."""
    count = session.scalar(
        select(func.count(OutboxTask.id)).where(OutboxTask.state == OutboxState.PENDING)
    )
    return count or 0


def oldest_pending(session: Session) -> datetime | None:
    """When the oldest task that is due and still waits for the relay became due."""
    return session.scalar(
        select(func.min(OutboxTask.run_at)).where(
            OutboxTask.state == OutboxState.PENDING, OutboxTask.run_at <= utcnow()
        )
    )


def mark_done(session: Session, task_id: int) -> None:
    session.execute(
        update(OutboxTask).where(OutboxTask.id == task_id).values(state=OutboxState.DONE)
    )


def mark_failed(session: Session, task_id: int, error: str) -> None:
    session.execute(
        update(OutboxTask)
        .where(OutboxTask.id == task_id, OutboxTask.state != OutboxState.DONE)
        .values(state=OutboxState.FAILED, last_error=error[:500])
    )


def failed(session: Session) -> int:
    """How many tasks failed for good (their retries spent)."""
    count = session.scalar(
        select(func.count(OutboxTask.id)).where(OutboxTask.state == OutboxState.FAILED)
    )
    return count or 0


def installation_key(session: Session) -> str:
    """This database's own identity (made once): queues and job ids carry it."""
    session.execute(insert_or_skip(session, Installation), {"id": 1, "key": uuid.uuid4().hex})
    return session.scalars(select(Installation.key).where(Installation.id == 1)).one()


def queue_name(prefix: str, installation: str) -> str:
    """One queue per database: a worker never takes another database's jobs."""
    return f"{prefix}-{installation[:12]}"


def job_id(installation: str, task_id: int) -> str:
    return f"outbox-{installation[:12]}-{task_id}"


def relay(
    session_factory: sessionmaker[Session], queue: Queue, installation: str, limit: int = 200
) -> int:
    """Move pending tasks to RQ; return how many moved. Safe to run in several workers at once."""
    with session_factory.begin() as session:
        rows = session.scalars(
            select(OutboxTask)
            .where(OutboxTask.state == OutboxState.PENDING)
            .order_by(OutboxTask.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        return _hand_over(queue, installation, rows)


def recover(
    session_factory: sessionmaker[Session],
    queue: Queue,
    installation: str,
    after_id: int = 0,
    limit: int = 500,
) -> tuple[int, int]:
    """Hand again the tasks RQ lost (Redis restarted without its data), looking at ``limit``
    queued rows after ``after_id``. Returns how many were handed again, and where the next
    look starts (0: from the beginning again), so that every queued row is looked at in turn."""
    with session_factory.begin() as session:
        rows = session.scalars(
            select(OutboxTask)
            .where(
                OutboxTask.state == OutboxState.QUEUED,
                OutboxTask.relayed_at < utcnow() - LOST_AFTER,
                OutboxTask.id > after_id,
            )
            .order_by(OutboxTask.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        lost = _missing(queue.connection, installation, rows)
        if lost:
            log.warning("%d queued task(s) were no longer in Redis: queued again", len(lost))
        next_id = rows[-1].id if len(rows) == limit else 0
        return _hand_over(queue, installation, lost), next_id


def _missing(connection: Redis, installation: str, rows: Sequence[OutboxTask]) -> list[OutboxTask]:
    pipe = connection.pipeline(transaction=False)
    for row in rows:
        pipe.exists(Job.key_for(job_id(installation, row.id)))
    found = pipe.execute() if rows else []
    return [row for row, exists in zip(rows, found, strict=True) if not exists]


def _hand_over(queue: Queue, installation: str, rows: Sequence[OutboxTask]) -> int:
    moved = 0
    for row in rows:
        row.attempts += 1
        try:
            _enqueue(queue, installation, row)
        except TaskError as error:  # a name this version does not know: keep it, say why
            row.last_error = str(error)
            log.error("outbox task %s cannot be queued: %s", row.id, error)
            continue
        row.state, row.relayed_at = OutboxState.QUEUED, utcnow()
        moved += 1
    return moved


def _enqueue(queue: Queue, installation: str, row: OutboxTask) -> None:
    task = spec(row.task)
    identifier = job_id(installation, row.id)
    # A relay that died after enqueueing but before committing meets its job again.
    if Job.exists(identifier, connection=queue.connection):
        return
    options: dict[str, Any] = {
        "kwargs": {"task_id": row.id},
        "job_id": identifier,
        "description": f"{row.task} (outbox {row.id})",
    }
    if task.max_retries:
        options["retry"] = Retry(max=task.max_retries, interval=RETRY_INTERVALS)
    if row.run_at > utcnow():
        queue.enqueue_at(row.run_at, RUNNER, **options)
    else:
        queue.enqueue(RUNNER, **options)
