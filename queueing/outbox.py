"""The outbox: tasks written with the change that causes them, relayed to RQ by the worker.

A web request only writes a row in its own transaction, so a Redis outage never slows it and
never loses a task; the worker's relay moves pending rows to RQ with a job id unique per row.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from redis import Redis
from rq import Queue, Retry
from rq.job import Job
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models import OutboxState, OutboxTask, utcnow
from models.db import insert_or_skip
from queueing.tasks import RETRY_INTERVALS, spec

log = logging.getLogger(__name__)


def add(
    session: Session,
    task: str,
    args: dict[str, Any] | None = None,
    *,
    key: str | None = None,
    run_at: datetime | None = None,
) -> bool:
    """Write a task to the outbox in the caller's transaction; False when its key was known."""
    spec(task)  # refuse unknown names now, not in the worker
    values = {
        "task": task,
        "args": args or {},
        "key": key,
        "run_at": run_at or utcnow(),
        "state": OutboxState.PENDING,
        "attempts": 0,
        "last_error": "",
        "created_at": utcnow(),
    }
    statement = insert_or_skip(session, OutboxTask, **values)
    return session.execute(statement.returning(OutboxTask.id)).first() is not None


def backlog(session: Session) -> int:
    """How many tasks wait for the relay."""
    count = session.scalar(
        select(func.count(OutboxTask.id)).where(OutboxTask.state == OutboxState.PENDING)
    )
    return count or 0


def oldest_pending(session: Session) -> datetime | None:
    """When the oldest task still waiting for the relay was written; None when none waits."""
    return session.scalar(
        select(func.min(OutboxTask.created_at)).where(OutboxTask.state == OutboxState.PENDING)
    )


def relay(session_factory: sessionmaker[Session], queue: Queue, limit: int = 200) -> int:
    """Move pending tasks to RQ; return how many moved. Safe to run in several workers at once."""
    with session_factory.begin() as session:
        rows = session.scalars(
            select(OutboxTask)
            .where(OutboxTask.state == OutboxState.PENDING)
            .order_by(OutboxTask.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            row.attempts += 1
            try:
                _enqueue(queue, row)
            except ValueError as error:  # an unknown task name: keep it, say why, go on
                row.last_error = str(error)
                log.error("outbox task %s cannot be queued: %s", row.id, error)
                continue
            row.state = OutboxState.QUEUED
            row.relayed_at = utcnow()
        return sum(1 for row in rows if row.state == OutboxState.QUEUED)


def _enqueue(queue: Queue, row: OutboxTask) -> None:
    task = spec(row.task)
    connection: Redis = queue.connection
    # A relay that died after enqueueing but before committing will meet its job again.
    if Job.exists(row.job_id, connection=connection):
        return
    options: dict[str, Any] = {
        "kwargs": row.args,
        "job_id": row.job_id,
        "description": f"{row.task} (outbox {row.id})",
    }
    if task.max_retries:
        options["retry"] = Retry(max=task.max_retries, interval=RETRY_INTERVALS)
    if row.run_at > utcnow():
        queue.enqueue_at(row.run_at, task.function, **options)
    else:
        queue.enqueue(task.function, **options)
