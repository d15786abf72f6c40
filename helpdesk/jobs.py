"""The job RQ runs for every outbox row: ``run(task_id)``, a plain function that takes an id.

The row says which task and with what arguments. The task runs against this process's context
(settings, database, business hours, texts), built once from the settings the first time a job
needs it; then the row is marked done, or due again later when the task failed (its retries
are new due times on the row, in ``queueing.outbox``), or failed for good when none are left.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import log_fields
import settings
from helpdesk import context as helpdesk_context
from helpdesk.context import Context
from helpdesk.tasks import TABLE
from models import OutboxState, OutboxTask, Ticket
from queueing import outbox
from queueing.kinds import TaskKind, TaskTable

log = logging.getLogger(__name__)


@functools.cache
def process_context() -> Context:
    """This process's context, from its settings (the environment, then .env): the worker's."""
    return helpdesk_context.build(settings.load())


def run(task_id: int) -> None:
    """Perform outbox task ``task_id`` (once in effect, however often RQ runs it)."""
    perform(process_context(), task_id)


def perform(context: Context, task_id: int, table: TaskTable = TABLE) -> None:
    """Run the row's task, then mark the row; raise what the task raised, after marking it."""
    with context.transaction() as session:
        row = session.get(OutboxTask, task_id)
        if row is None or row.state == OutboxState.DONE:
            return
        name, args, attempts = row.task, dict(row.args), row.attempts
        ticket = session.get(Ticket, args["ticket_id"]) if "ticket_id" in args else None
        number = ticket.number if ticket is not None else None
    task = table.spec(name)
    with log_fields.about(job=f"{name}:{task_id}", ticket=number):
        _run(context, task_id, task, args, attempts)


def _run(
    context: Context, task_id: int, task: TaskKind, args: dict[str, Any], attempts: int
) -> None:
    try:
        task.resolve()(context, **args)
    except Exception as error:
        retry_in = task.retry_in(attempts + 1)
        with context.transaction() as session:
            outbox.mark_failed(session, task_id, f"{type(error).__name__}: {error}", retry_in)
        if retry_in is None:
            log.error("outbox task %s (%s) failed for good: %s", task_id, task.name, error)
        raise
    with context.transaction() as session:
        outbox.mark_done(session, task_id)
