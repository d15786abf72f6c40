"""The tasks the outbox may carry: a name, and the RQ job function that performs it.

Only names listed here can be queued, so nothing read from the database can make the worker
import an arbitrary function.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TaskSpec:
    function: str  # dotted path, imported by the RQ worker
    max_retries: int = 5


# Retries back off: 10 s, 30 s, 1 min, 5 min, 15 min.
RETRY_INTERVALS = [10, 30, 60, 300, 900]

TASKS: dict[str, TaskSpec] = {}


def register(name: str, function: str, max_retries: int = 5) -> None:
    TASKS[name] = TaskSpec(function=function, max_retries=max_retries)


def spec(name: str) -> TaskSpec:
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(
            f"unknown task {name!r}; known tasks: {', '.join(sorted(TASKS))}"
        ) from None
