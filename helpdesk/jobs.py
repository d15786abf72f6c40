"""The job wrapper: every outbox task runs through ``run``, against the worker's context.

RQ calls ``run(task_id)``; the row in the database says which task and with what arguments,
and the row is marked done when the task returns. The context (settings, database, business
hours) is the one the running worker built, bound for the duration of the job the way Flask
binds an application context to a request: nothing is configured at import time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from rq import get_current_job

from helpdesk import tasks  # noqa: F401  (defines the helpdesk's tasks)
from helpdesk.context import Context
from models import OutboxState, OutboxTask
from queueing import outbox
from queueing.tasks import spec

log = logging.getLogger(__name__)

_bound: ContextVar[Context] = ContextVar("helpdesk_context")


@contextmanager
def bound(context: Context) -> Iterator[Context]:
    """Run jobs against ``context`` inside the block."""
    token = _bound.set(context)
    try:
        yield context
    finally:
        _bound.reset(token)


def run(task_id: int) -> None:
    """Perform outbox task ``task_id`` (once in effect, however often RQ runs it)."""
    try:
        context = _bound.get()
    except LookupError:
        raise RuntimeError(
            "no helpdesk context: run jobs with `python worker.py`, not a bare `rq worker`"
        ) from None
    try:
        perform(context, task_id)
    except Exception as error:
        job = get_current_job()
        if job is None or not job.retries_left:  # this was its last try
            _failed_for_good(context, task_id, error)
        raise


def _failed_for_good(context: Context, task_id: int, error: Exception) -> None:
    """Say so on the row, so that it is not taken for lost, and the supervisors can see it."""
    try:
        with context.transaction() as session:
            outbox.mark_failed(session, task_id, type(error).__name__)
    except Exception:  # the database is what failed: RQ's failed registry still has the job
        log.warning("outbox task %s failed for good; could not say so in the database", task_id)


def perform(context: Context, task_id: int) -> None:
    with context.transaction() as session:
        row = session.get(OutboxTask, task_id)
        if row is None or row.state == OutboxState.DONE:
            return
        name, args = row.task, dict(row.args)
    spec(name).resolve()(context, **args)
    with context.transaction() as session:
        outbox.mark_done(session, task_id)


class BoundWorker:
    """Mixed into an RQ worker class: its jobs run against the worker's context."""

    context: Context

    def perform_job(self, *args: Any, **kwargs: Any) -> bool:
        with bound(self.context):
            result: bool = super().perform_job(*args, **kwargs)  # type: ignore[misc]
            return result
