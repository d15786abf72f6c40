"""A task that exists only for the tests: it counts its runs in the database."""

from __future__ import annotations

import time

from sqlalchemy import update

from helpdesk.context import Context
from models import Counter
from queueing.tasks import define

COUNT = define("test.count", "tests.jobs.count")
BREAK = define("test.break", "tests.jobs.fail", max_retries=0)


def count(context: Context, name: str) -> None:
    with context.transaction() as session:
        if session.get(Counter, name) is None:
            session.add(Counter(name=name, value=1))
        else:
            session.execute(
                update(Counter).where(Counter.name == name).values(value=Counter.value + 1)
            )


def fail(context: Context, why: str) -> None:
    raise RuntimeError(f"this task fails {why}")


PAUSE = define("test.pause", "tests.jobs.pause")


def pause(context: Context, seconds: float) -> None:
    """Keep the worker busy for a while."""
    time.sleep(seconds)
