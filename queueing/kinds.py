"""The kinds of task an outbox may carry: a name, the job function that performs it, its
retries.

The words, each with one meaning: a *task* is a row of the outbox (what to do, with which ids,
from when); its *kind* says which function does it; a *job* is RQ running one task
(``helpdesk.jobs.run(task_id)``).

The table is declared once, as a value (``helpdesk.tasks.TABLE``), and handed to whoever needs
it: only its names can be queued, so nothing read from the database makes the worker import an
arbitrary function; and a task's arguments are checked against its function when the task is
written, not when the worker runs it.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

# A task that failed is due again after 10 s, 30 s, 1 min, 5 min, then 15 min.
RETRY_INTERVALS = (10, 30, 60, 300, 900)


class TaskError(ValueError):
    """A task that cannot be written: unknown, or arguments its function does not take."""


@dataclass(frozen=True)
class TaskKind:
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

    def retry_in(self, attempts: int) -> int | None:
        """Seconds until a task that failed ``attempts`` times is due again; None: no more."""
        if attempts > self.max_retries:
            return None
        return RETRY_INTERVALS[min(attempts, len(RETRY_INTERVALS)) - 1]


class TaskTable:
    """The tasks known to a process, by name, never changed once made. ``runner``: the dotted
    path of the job function RQ calls with an outbox row's id."""

    def __init__(self, runner: str, tasks: tuple[TaskKind, ...]) -> None:
        names = [task.name for task in tasks]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise TaskError(f"task(s) declared twice: {', '.join(twice)}")
        self.runner = runner
        self._by_name: Mapping[str, TaskKind] = MappingProxyType({t.name: t for t in tasks})

    def spec(self, name: str) -> TaskKind:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(sorted(self._by_name))
            raise TaskError(f"unknown task {name!r}; known tasks: {known}") from None

    def __iter__(self) -> Iterator[TaskKind]:
        return iter(self._by_name.values())

    def with_tasks(self, runner: str, *tasks: TaskKind) -> TaskTable:
        """This table and more tasks (a test's), run by another runner."""
        return TaskTable(runner, (*self, *tasks))
