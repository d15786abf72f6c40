"""Benchmark: SQL statements per webhook of whole calls, in-process on PostgreSQL.

Places a regular-support call, a CATA call nobody accepts, and an unknown caller's call, and
counts the statements each webhook sends to the database (SQLAlchemy's cursor events). Run it on
two checkouts to compare: ``PYTHONPATH=<checkout> python bench/statements.py``.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import time_machine
from alembic import command
from flask import Flask
from sqlalchemy import Engine, event

from app import create_app
from directory import entries, sync
from migrations import alembic_config
from models.db import make_engine, make_session_factory
from tests import services

try:  # this checkout's simulator, or an older one's
    from tools.simulator import Script, Simulator
    from tools.transports import InProcess
except ImportError:  # pragma: no cover - the layout before the tools package
    from ivr.simulator import Script, Simulator  # type: ignore[import-not-found,no-redef]
    from ivr.transports import InProcess  # type: ignore[import-not-found,no-redef]

TOKEN = "bench-token"
BASE = "https://support.altilogix.example"
CALLS = {
    "regular": ("+15145550101", "+15149826161", Script(inputs=["6", "2"], record_seconds=10)),
    "cata": ("+15145550101", "+15145550150", Script(technicians=["refuse", "ring", "ring"])),
    "unknown": ("anonymous", "+15149826161", Script(inputs=["-", "6", "1001#"])),
}


class CountingTransport(InProcess):
    """In-process, counting the statements of each webhook by path."""

    def __init__(self, app: Flask, counter: list[int]) -> None:
        super().__init__(app)
        self.counter = counter
        self.counts: dict[str, list[int]] = defaultdict(list)

    def post(self, url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        before = self.counter[0]
        result = super().post(url, params, signature)
        self.counts[urlsplit(url).path].append(self.counter[0] - before)
        return result


@contextmanager
def counting() -> Iterator[list[int]]:
    counter = [0]

    def count(*_args: Any) -> None:
        counter[0] += 1

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(Engine, "before_cursor_execute", count)


def main() -> None:
    with services.postgres_database() as url:
        command.upgrade(alembic_config(url), "head")
        with make_session_factory(make_engine(url)).begin() as session:
            directory = Path(entries.__file__).resolve().parent.parent / "examples/directory.toml"
            sync.load(session, entries.parse(directory.read_text()))
        config = {
            "TESTING": True,
            "DATABASE_URL": url,
            "REDIS_URL": services.REDIS_TEST_URL,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "PUBLIC_BASE_URL": BASE,
            "CATA_NUMBERS": ["+15145550150"],
        }
        app = create_app(config)
        counts: dict[str, list[int]] = defaultdict(list)
        with counting() as counter:
            for caller, to, script in CALLS.values():
                transport = CountingTransport(app, counter)
                moment = datetime(2026, 12, 1, 10, tzinfo=ZoneInfo("America/Toronto"))
                with time_machine.travel(moment, tick=True):
                    for _ in range(3):
                        Simulator(transport, TOKEN).place_call(
                            f"{BASE}/voice/incoming", caller, to, script
                        )
                for path, values in transport.counts.items():
                    counts[path] += values
        make_engine(url).dispose()
    print(f"{'webhook':28} {'n':>4} {'statements (median)':>20} {'max':>5}")
    for path, values in sorted(counts.items()):
        print(f"{path:28} {len(values):4} {statistics.median(values):20.0f} {max(values):5}")


if __name__ == "__main__":
    main()
