"""Two units of work at once on PostgreSQL: the second comes to wait on a lock the first holds.

The waits poll with ``select``'s relative timeout: under a plain ``faketime`` run (the monotonic
clock moved too) a thread's timed ``join`` waits on a moved clock, and may never return before
the database gives up on the waiting statement.
"""

from __future__ import annotations

import select
import threading
import time

from sqlalchemy import Connection, Engine, text

WAITING_ON_A_LOCK = text(
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
)


def _pause(seconds: float) -> None:
    select.select([], [], [], seconds)


def waits_for_a_lock(
    bind: Engine | Connection, thread: threading.Thread, within: float = 5.0
) -> bool:
    """Whether ``thread``, still running, has come to wait on a lock (PostgreSQL says so)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and thread.is_alive():
        with bind.engine.connect() as connection:  # its own: the test's may be the one holding
            if connection.execute(WAITING_ON_A_LOCK).scalar():
                return thread.is_alive()
        _pause(0.02)
    return False


def finish(thread: threading.Thread, within: float = 10.0) -> None:
    """Wait for ``thread`` to end (its lock given back), at most ``within`` seconds."""
    deadline = time.monotonic() + within
    while thread.is_alive() and time.monotonic() < deadline:
        _pause(0.02)
    assert not thread.is_alive(), "the second unit of work never ended"
