"""Tasks that exist only for the tests: one counts its runs in the database, one fails, one
keeps the worker busy. They are run by ``tests.jobs.run``, with the helpdesk's own."""

from __future__ import annotations

import logging
import time

from sqlalchemy import update

from helpdesk import jobs, tasks
from helpdesk.context import Context
from models import Counter
from queueing.kinds import TaskKind

COUNT = TaskKind("test.count", "tests.jobs.count")
BREAK = TaskKind("test.break", "tests.jobs.fail", max_retries=0)
PAUSE = TaskKind("test.pause", "tests.jobs.pause")
FLAKY = TaskKind("test.flaky", "tests.jobs.flaky")
SAY = TaskKind("test.say", "tests.jobs.say")
TABLE = tasks.TABLE.with_tasks("tests.jobs.run", COUNT, BREAK, PAUSE, FLAKY, SAY)


def run(task_id: int) -> None:
    """RQ's job for a worker that serves these too (``worker.main(table=TABLE)``)."""
    jobs.perform(jobs.process_context(), task_id, TABLE)


def count(context: Context, name: str) -> None:
    with context.transaction() as session:
        if session.get(Counter, name) is None:
            session.add(Counter(name=name, value=1))
        else:
            session.execute(
                update(Counter).where(Counter.name == name).values(value=Counter.value + 1)
            )


def flaky(context: Context, name: str) -> None:
    """Fails the first time, then counts."""
    with context.transaction() as session:
        tried = session.get(Counter, f"{name}-tried")
        if tried is None:
            session.add(Counter(name=f"{name}-tried", value=1))
    if tried is None:
        raise RuntimeError("the first run of a flaky task fails")
    count(context, name)


def say(context: Context, ticket_id: int, text: str) -> None:
    """Write one log line about a ticket."""
    logging.getLogger(__name__).info(text)


def fail(context: Context, why: str) -> None:
    raise RuntimeError(f"this task fails {why}")


def pause(context: Context, seconds: float) -> None:
    """Keep the worker busy for a while."""
    time.sleep(seconds)
