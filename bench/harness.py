"""What the benchmarks share: free ports, a fresh database, processes started in their own
groups (so stopping one stops its children), HTTP readiness and latency figures."""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from alembic import command

from directory import entries, sync
from migrations import alembic_config
from models.db import make_engine, make_session_factory
from tests import services

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DIRECTORY_FILE = ROOT / "examples/directory.toml"
# What production requires beside its secrets: the line's numbers and the support addresses.
PRODUCTION_LINE = {
    "MAIN_NUMBERS": "+15149826161",
    "MAIL_FROM": "support@altilogix.example",
    "SUPPORT_EMAIL_REGULAR": "support-regulier@altilogix.example",
    "SUPPORT_EMAIL_URGENT": "support-urgent@altilogix.example",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def demo_database() -> Iterator[str]:
    """A new PostgreSQL database on the machine's server, migrated, with the demo directory;
    dropped at the end (other people use that server: only this database is touched)."""
    with services.postgres_database() as url:
        command.upgrade(alembic_config(url), "head")
        engine = make_engine(url)
        try:
            with make_session_factory(engine).begin() as session:
                sync.load(session, entries.parse(DIRECTORY_FILE.read_text()))
            yield url
        finally:
            # Our pooled connections would keep the database busy; DROP … WITH (FORCE) copes,
            # but closing them first is polite.
            engine.dispose()


def start(
    argv: Sequence[str], env: Mapping[str, str], log: IO[bytes] | None = None
) -> subprocess.Popen[bytes]:
    """A process in its own group: a signal to the group reaches the children it forks."""
    return subprocess.Popen(
        list(argv),
        cwd=ROOT,
        env=dict(env),
        stdout=log,
        stderr=subprocess.STDOUT if log else None,
        start_new_session=True,
    )


def signal_group(process: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    """Send ``signum`` to the process's group; nothing if it is gone already."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def stop(process: subprocess.Popen[bytes], grace: float = 5) -> None:
    """SIGTERM to the group, then SIGKILL if it is still there after ``grace`` seconds."""
    if process.poll() is None:
        signal_group(process, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    # Even after the leader exited, a forked child (an RQ work horse) may linger in the group.
    signal_group(process, signal.SIGKILL)
    if process.poll() is None:
        process.wait(timeout=5)


def wait_for_http(url: str, seconds: float) -> None:
    """Until ``url`` answers at all (any HTTP status), or raise after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # an answer, if not a happy one: the server is up
        except OSError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.1)


def wait_for_port(port: int, seconds: float) -> None:
    """Until something accepts connections on 127.0.0.1:``port``, or raise after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def percentile(values: Sequence[float], percent: int) -> float:
    """The ``percent``-th percentile (inclusive method); the only value when there is one."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]
