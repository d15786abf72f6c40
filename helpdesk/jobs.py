"""The job RQ runs for every outbox row: ``run(task_id)``, a plain function that takes an id.

The row says which task and with what arguments. The task runs against this process's context
(settings, database, business hours, texts), built once from the settings the first time a job
needs it; then the row is marked done, or due again later when the task failed (its retries
are new due times on the row, in ``queueing.outbox``), or failed for good when none are left.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

import log_fields
import settings
from helpdesk import callbacks
from helpdesk import context as helpdesk_context
from helpdesk.context import Context
from helpdesk.tasks import TABLE
from models import Call, OutboxState, OutboxTask, Recording, Ticket
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
        concerns = subject(session, args)
    task = table.spec(name)
    with log_fields.about(job=f"{name}:{task_id}", **concerns):
        _run(context, task_id, task, args, attempts)


def subject(session: Session, args: dict[str, Any]) -> dict[str, object]:
    """The call and the ticket a task's arguments point at, for its log lines."""
    found: dict[str, object] = {}
    for name, value in args.items():
        if name in SUBJECTS and value is not None:
            found.update(SUBJECTS[name](session, value))
    return found


def _of_ticket(session: Session, ticket_id: int) -> dict[str, object]:
    ticket = session.get(Ticket, ticket_id)
    return {"ticket": ticket.number} if ticket is not None else {}


def _of_call(session: Session, call_id: int | None) -> dict[str, object]:
    call = session.get(Call, call_id) if call_id is not None else None
    return {"call_sid": call.call_sid} if call is not None else {}


def _of_recording(session: Session, recording_id: int) -> dict[str, object]:
    recording = session.get(Recording, recording_id)
    if recording is None:
        return {}
    ticket = _of_ticket(session, recording.ticket_id) if recording.ticket_id else {}
    return {**_of_call(session, recording.call_id), **ticket}


def _of_callback(session: Session, request_id: str) -> dict[str, object]:
    request = callbacks.find(session, request_id)
    if request is None:
        return {}
    return {**_of_call(session, request.call_id), **_of_ticket(session, request.ticket_id)}


# A task's argument that names a call's or a ticket's row, and how to find what it concerns.
SUBJECTS: dict[str, Callable[[Session, Any], dict[str, object]]] = {
    "ticket_id": _of_ticket,
    "recording_id": _of_recording,
    "request_id": _of_callback,
}


def _run(
    context: Context, task_id: int, task: TaskKind, args: dict[str, Any], attempts: int
) -> None:
    started = time.perf_counter()
    try:
        task.resolve()(context, **args)
    except Exception as error:
        retry_in = task.retry_in(attempts + 1)
        with context.transaction() as session:
            outbox.mark_failed(session, task_id, f"{type(error).__name__}: {error}", retry_in)
        if retry_in is None:
            log.error("outbox task %s (%s) failed for good: %s", task_id, task.name, error)
        else:
            log.warning("job failed (%s), tried again in %d s", type(error).__name__, retry_in)
        raise
    with context.transaction() as session:
        outbox.mark_done(session, task_id)
    log.info("job done in %d ms", round((time.perf_counter() - started) * 1000))
