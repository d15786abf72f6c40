"""A task that exists only for the tests: it counts its runs in the database."""

from __future__ import annotations

import time

from sqlalchemy import update

from models import Counter
from queueing import runtime, tasks

tasks.register("test.count", "tests.jobs.count")


def count(name: str) -> None:
    with runtime.session() as session:
        if session.get(Counter, name) is None:
            session.add(Counter(name=name, value=1))
        else:
            session.execute(
                update(Counter).where(Counter.name == name).values(value=Counter.value + 1)
            )


def pause(seconds: float) -> None:
    """Keep the worker busy for a while."""
    time.sleep(seconds)
