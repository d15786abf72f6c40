"""Benchmark: complete regular-support calls against gunicorn on PostgreSQL and Redis.

Eight callers at once each place whole calls (every webhook of them, signed, TwiML followed by
the simulator) for a fixed number of calls. A static TwiML route on the same server, under the
same load, is measured in the same run as the floor. Prints the median and p99 latency of each
webhook, and complete calls per second. Targets: median webhook latency within 5 times the
static route's; p99 under 50 ms.

Run with ``make bench`` or ``python -m bench.phone_line`` (PostgreSQL and Redis on 127.0.0.1).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import Manager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from alembic import command
from twilio.request_validator import RequestValidator

from directory import entries, sync
from ivr.simulator import Script, Simulator
from ivr.transports import OverHttp
from migrations import alembic_config
from models.db import make_engine, make_session_factory
from tests import services

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
CALLERS = ["+15145550101", "+15145550103", "+14505550111", "+15145550121", "+15145550122"]


class TimedTransport(OverHttp):
    """Over HTTP, noting each webhook's latency by path."""

    def __init__(self, server: str) -> None:
        super().__init__(server)
        self.latencies: dict[str, list[float]] = defaultdict(list)

    def post(self, url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        began = time.perf_counter()
        result = super().post(url, params, signature)
        self.latencies[urlsplit(url).path].append(time.perf_counter() - began)
        return result


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(database_url: str, workers: int) -> Iterator[str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": services.REDIS_TEST_URL,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": base,
        "SECRET_KEY": "bench",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "app:create_app()",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def one_caller(base: str, index: int, count: int) -> dict[str, list[float]]:
    """One caller, in its own process (so the callers' Python does not share one GIL)."""
    transport = TimedTransport(base)
    simulator = Simulator(transport, TOKEN)
    for _ in range(count):
        script = Script(inputs=["6", "2"], record_seconds=10)
        number = CALLERS[index % len(CALLERS)]
        simulator.place_call(f"{base}/voice/incoming", number, "+15149826161", script)
    return dict(transport.latencies)


def calls(
    base: str, callers: int, per_caller: int
) -> tuple[dict[str, list[float]], float, list[float]]:
    """The callers' latencies and calls per second, with the static route probed meanwhile."""
    latencies: dict[str, list[float]] = defaultdict(list)
    with Manager() as manager, ProcessPoolExecutor(callers + 1) as pool:
        done = manager.Event()
        probe = pool.submit(static_probe, base, done)
        began = time.perf_counter()
        runs = pool.map(one_caller, [base] * callers, range(callers), [per_caller] * callers)
        for run in runs:
            for path, values in run.items():
                latencies[path] += values
        rate = callers * per_caller / (time.perf_counter() - began)
        done.set()
        return latencies, rate, probe.result()


def static_probe(base: str, done: Any) -> list[float]:
    """The static route, asked every 20 ms while the calls run: the floor under that load."""
    latencies = []
    while not done.is_set():
        latencies += one_static_caller(base, 1)
        time.sleep(0.02)
    return latencies


def one_static_caller(base: str, requests: int) -> list[float]:
    url = f"{base}/voice/static"
    params = {"CallSid": "CA" + "0" * 32, "From": "+15145550101", "To": "+15149826161"}
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    transport, latencies = OverHttp(base), []
    for _ in range(requests):
        began = time.perf_counter()
        transport.post(url, params, signature)
        latencies.append(time.perf_counter() - began)
    return latencies


def static_floor(base: str, callers: int, requests: int) -> list[float]:
    with ProcessPoolExecutor(callers) as pool:
        runs = pool.map(one_static_caller, [base] * callers, [requests] * callers)
        return [value for run in runs for value in run]


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--callers", type=int, default=8)
    parser.add_argument("--calls-per-caller", type=int, default=25)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with services.postgres_database() as url:
        command.upgrade(alembic_config(url), "head")
        factory = make_session_factory(make_engine(url))
        with factory.begin() as session:
            sync.load(session, entries.parse((ROOT / "examples/directory.toml").read_text()))
        with server(url, args.workers) as base:
            static_floor(base, args.callers, 5)  # warm-up
            floor = static_floor(base, args.callers, args.calls_per_caller * 8)
            latencies, rate, loaded_floor = calls(base, args.callers, args.calls_per_caller)
        make_engine(url).dispose()
    report(floor, loaded_floor, latencies, rate, args.callers)


def report(
    floor: list[float],
    loaded_floor: list[float],
    latencies: dict[str, list[float]],
    rate: float,
    callers: int,
) -> None:
    floor_median = statistics.median(floor)
    print(f"{callers} callers at once; gunicorn on PostgreSQL and Redis")
    print(f"{'webhook':28} {'n':>6} {'median ms':>10} {'p99 ms':>8} {'x static':>9}")
    print(
        f"{'/voice/static (floor)':28} {len(floor):6} {floor_median * 1000:10.1f} "
        f"{p99(floor) * 1000:8.1f} {1:9.1f}"
    )
    loaded = statistics.median(loaded_floor)
    print(
        f"{'/voice/static under load':28} {len(loaded_floor):6} {loaded * 1000:10.1f} "
        f"{p99(loaded_floor) * 1000:8.1f} {loaded / floor_median:9.1f}"
    )
    worst_ratio, worst_p99 = 0.0, 0.0
    for path, values in sorted(latencies.items()):
        median = statistics.median(values)
        worst_ratio, worst_p99 = (
            max(worst_ratio, median / floor_median),
            max(worst_p99, p99(values)),
        )
        print(
            f"{path:28} {len(values):6} {median * 1000:10.1f} {p99(values) * 1000:8.1f} "
            f"{median / floor_median:9.1f}"
        )
    print(f"complete calls per second: {rate:.1f}")
    print(
        f"the static route itself is {loaded / floor_median:.1f} times slower under the calls' "
        "load: what the machine's saturation alone costs every request"
    )
    print(f"worst median / static median: {worst_ratio:.1f} (target: at most 5)")
    print(f"worst p99: {worst_p99 * 1000:.1f} ms (target: under 50 ms)")


if __name__ == "__main__":
    main()
