"""The tasks the outbox may carry: a name, the job function that performs it, its retries.

Only registered names can be queued, so nothing read from the database can make the worker
import an arbitrary function; and a task's arguments are checked against its function when the
task is written, not when the worker runs it.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# Retries back off: 10 s, 30 s, 1 min, 5 min, 15 min.
RETRY_INTERVALS = [10, 30, 60, 300, 900]


class TaskError(ValueError):
    """A task that cannot be written: unknown, or arguments its function does not take."""


@dataclass(frozen=True)
class Task:
    name: str
    function: str  # dotted path; the function takes the run's context first, then the arguments
    max_retries: int = 5

    def resolve(self) -> Callable[..., Any]:
        module, _, attribute = self.function.rpartition(".")
        function: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
        return function

    @functools.cached_property
    def signature(self) -> inspect.Signature:
        """The job function's signature, read once: every task written is checked against it."""
        return inspect.signature(self.resolve())

    def check(self, args: Mapping[str, Any]) -> None:
        """Refuse arguments the function would refuse, or that JSON cannot carry."""
        try:
            self.signature.bind(None, **args)
            json.dumps(args)
        except TypeError as error:
            raise TaskError(f"task {self.name!r}: {error}") from None


_TASKS: dict[str, Task] = {}


def define(name: str, function: str, max_retries: int = 5) -> Task:
    """Register a task at import time; defining the same name twice must agree."""
    task = Task(name, function, max_retries)
    if _TASKS.setdefault(name, task) != task:
        raise TaskError(f"task {name!r} is defined twice, differently")
    return task


def spec(name: str) -> Task:
    try:
        return _TASKS[name]
    except KeyError:
        raise TaskError(
            f"unknown task {name!r}; known tasks: {', '.join(sorted(_TASKS))}"
        ) from None
