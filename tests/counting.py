"""Count the SQL statements a block runs, with a SQLAlchemy event."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


@contextmanager
def statements(engine: Any) -> Iterator[list[str]]:
    seen: list[str] = []
    target: Engine = engine.engine if hasattr(engine, "engine") else engine

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(target, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", count)
