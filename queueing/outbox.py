"""The outbox: tasks written with the change that causes them, the database's own schedule.

A web request only writes a row in its own transaction, so a Redis outage never slows it and
never loses a task. The row is the truth and the only scheduler: it says when it is due; the
relay (``queueing.relay``) hands RQ the rows that are due, under a job id unique per row and
database; the job marks its row done, or makes it due again later when it failed. Jobs are
idempotent, so a row handed twice does nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import Installation, OutboxState, OutboxTask, utcnow
from models.db import insert_or_skip
from queueing.kinds import TaskKind


def add(
    session: Session,
    task: TaskKind,
    args: Mapping[str, Any],
    *,
    key: str | None = None,
    run_at: datetime | None = None,
) -> bool:
    """Write a task to the outbox in the caller's transaction, due at ``run_at`` (now by
    default); False when its key was known."""
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


def due(session: Session, limit: int) -> Sequence[OutboxTask]:
    """Rows due and not yet handed over, oldest first, locked: several relays take turns."""
    return session.scalars(
        select(OutboxTask)
        .where(OutboxTask.state == OutboxState.PENDING, OutboxTask.run_at <= utcnow())
        .order_by(OutboxTask.run_at, OutboxTask.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


def handed_long_ago(
    session: Session, after: timedelta, after_id: int, limit: int
) -> Sequence[OutboxTask]:
    """Rows handed to RQ more than ``after`` ago and still not done, by id from ``after_id``."""
    return session.scalars(
        select(OutboxTask)
        .where(
            OutboxTask.state == OutboxState.QUEUED,
            OutboxTask.relayed_at < utcnow() - after,
            OutboxTask.id > after_id,
        )
        .order_by(OutboxTask.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


def mark_done(session: Session, task_id: int) -> None:
    session.execute(
        update(OutboxTask).where(OutboxTask.id == task_id).values(state=OutboxState.DONE)
    )


def settle(session: Session, key: str) -> None:
    """A task made needless by the caller's own work (done meanwhile): marked done, not run."""
    session.execute(
        update(OutboxTask)
        .where(OutboxTask.key == key, OutboxTask.state == OutboxState.PENDING)
        .values(state=OutboxState.DONE)
    )


def mark_failed(session: Session, task_id: int, error: str, retry_in: int | None) -> None:
    """A run failed: the row is due again in ``retry_in`` seconds, or failed for good (None)."""
    values: dict[str, Any] = {"last_error": error[:500], "attempts": OutboxTask.attempts + 1}
    if retry_in is None:
        values["state"] = OutboxState.FAILED
    else:
        values |= {"state": OutboxState.PENDING, "run_at": utcnow() + timedelta(seconds=retry_in)}
    session.execute(
        update(OutboxTask)
        .where(OutboxTask.id == task_id, OutboxTask.state != OutboxState.DONE)
        .values(**values)
    )


def backlog(session: Session) -> int:
    """How many tasks wait for the relay, due or not."""
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
