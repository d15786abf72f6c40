"""Count the SQL statements a block runs, with a SQLAlchemy event."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


@contextmanager
def statements(_engine: Any = None) -> Iterator[list[str]]:
    """Every statement any engine of this process runs inside the block: the app's, whose
    engine is its own (``_engine``, the test's, is kept for the callers' sake)."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", count)
