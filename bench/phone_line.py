"""Benchmark: complete regular-support calls against gunicorn on PostgreSQL and Redis.

Eight callers at once each place whole calls (every webhook of them, signed, TwiML followed by
the simulator, each caller in its own process), in two rounds:

- capacity: no pause between steps, the server saturated: complete calls per second;
- latency: each caller pauses between steps as a caller listening to a prompt does (100 ms here,
  seconds on a real line): the median and p99 of each webhook.

In each round a static TwiML route on the same server (signature-checked, no database) is
probed at the same time: the floor, under the same load. Targets: median webhook latency within
5 times the static route's, p99 under 50 ms.

Run with ``make bench`` or ``python -m bench.phone_line`` (PostgreSQL and Redis on 127.0.0.1).

``--baseline REV`` compares with an earlier revision in the same run: that revision's server
and this checkout's run side by side, each on its own database migrated by its own code, and
each caller (this checkout's simulator) places its calls on one and the other in turn. Both
servers then share every moment of the run, the machine's other work included; the report
gives each webhook's median and p99 on both, over ``--rounds`` latency rounds.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from multiprocessing import Manager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from twilio.request_validator import RequestValidator

from bench import harness
from tests import services
from tools.simulator import Script, Simulator
from tools.transports import OverHttp

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
CALLERS = ["+15145550101", "+15145550103", "+14505550111", "+15145550121", "+15145550122"]
FLOOR = "/voice/static (floor)"
RESAMPLES = 1000
RESAMPLING_SEED = 2026


class TimedTransport(OverHttp):
    """Over HTTP, noting each webhook's latency by path; ``think`` seconds before each step."""

    def __init__(self, server: str, think: float = 0.0) -> None:
        super().__init__(server)
        self.think = think
        self.latencies: dict[str, list[float]] = defaultdict(list)

    def post(self, url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
        time.sleep(self.think)
        began = time.perf_counter()
        result = super().post(url, params, signature)
        self.latencies[urlsplit(url).path].append(time.perf_counter() - began)
        return result


@contextmanager
def server(database_url: str, workers: int, root: Path = ROOT) -> Iterator[str]:
    """gunicorn serving ``root``'s app (this checkout's, or a baseline's)."""
    port = harness.free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        **harness.PRODUCTION_LINE,
        "DATABASE_URL": database_url,
        "REDIS_URL": services.REDIS_TEST_URL,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": base,
        "SECRET_KEY": "bench",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(root),
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
            _served_app(root),
        ],
        cwd=root,
        env=env,
    )
    try:
        harness.wait_for_http(f"{base}/healthz", 10)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


BASELINE_FLOOR = """
from bench import static_app


def create_app():
    app = static_app.create_app()
    if "csrf" in app.extensions:
        app.extensions["csrf"].exempt(app.view_functions["bench_static"])
    return app
"""


def _served_app(root: Path) -> str:
    """The app gunicorn serves for ``root``: the product's with the static route."""
    if not (root / "bench/static_app.py").exists():
        return "app:create_app()"  # before the benchmark's wrapper, the app served the route
    if root == ROOT:
        return "bench.static_app:create_app()"
    # An earlier wrapper may predate the route's exemption from the console's CSRF check: the
    # floor is then measured the same way on both sides, as a TwiML answer.
    (root / "bench/baseline_floor.py").write_text(BASELINE_FLOOR)
    return "bench.baseline_floor:create_app()"


def one_caller(
    bases: Sequence[str], index: int, count: int, think: float
) -> list[dict[str, list[float]]]:
    """One caller, in its own process (so the callers' Python does not share one GIL); with
    several servers, its calls go to each in turn. Each server's latencies, by path."""
    with ExitStack() as stack:
        transports = [stack.enter_context(TimedTransport(base, think)) for base in bases]
        for call in range(count):
            which = (index + call) % len(bases)  # half the callers begin with each server
            script = Script(inputs=["6", "2"], record_seconds=10)
            number = CALLERS[index % len(CALLERS)]
            transcript = Simulator(transports[which], TOKEN).place_call(
                f"{bases[which]}/voice/incoming", number, "+15149826161", script
            )
            if "error" in transcript.kinds():  # a refusal is fast, and would look like speed
                raise RuntimeError(f"{bases[which]}: the call went wrong:\n{transcript}")
    return [dict(transport.latencies) for transport in transports]


@dataclass
class Round:
    name: str
    latencies: dict[str, list[float]]
    calls_per_second: float
    static: list[float]


def run_round(
    name: str, bases: Sequence[str], args: argparse.Namespace, think: float
) -> list[Round]:
    """Each server's latencies and calls per second, the static route probed meanwhile."""
    callers, per_caller = args.callers, args.calls_per_caller
    latencies: list[dict[str, list[float]]] = [defaultdict(list) for _ in bases]
    with Manager() as manager, ProcessPoolExecutor(callers + 1) as pool:
        done = manager.Event()
        probe = pool.submit(static_probe, bases, done)
        began = time.perf_counter()
        runs = pool.map(
            one_caller, [bases] * callers, range(callers), [per_caller] * callers, [think] * callers
        )
        for run in runs:
            for each, latencies_by_path in zip(latencies, run, strict=True):
                for path, values in latencies_by_path.items():
                    each[path] += values
        rate = callers * per_caller / (time.perf_counter() - began) / len(bases)
        done.set()
        floors = probe.result()
    return [Round(name, each, rate, floor) for each, floor in zip(latencies, floors, strict=True)]


def static_probe(bases: Sequence[str], done: Any) -> list[list[float]]:
    """The static route of each server in turn, every 20 ms while the calls run: the floor
    under that load."""
    latencies: list[list[float]] = [[] for _ in bases]
    turn = 0
    while not done.is_set():
        order = range(len(bases)) if turn % 2 == 0 else reversed(range(len(bases)))
        for which in order:
            latencies[which] += one_static_caller(bases[which], 1)
        turn += 1
        time.sleep(0.02)
    return latencies


def one_static_caller(base: str, requests: int) -> list[float]:
    url = f"{base}/voice/static"
    params = {"CallSid": "CA" + "0" * 32, "From": "+15145550101", "To": "+15149826161"}
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    latencies: list[float] = []
    with OverHttp(base) as transport:
        for _ in range(requests):
            began = time.perf_counter()
            status, body = transport.post(url, params, signature)
            latencies.append(time.perf_counter() - began)
            if status != 200:  # the floor is a TwiML answer, not a refusal
                raise RuntimeError(f"/voice/static answered {status}: {body[:200]}")
    return latencies


def p99(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 1 else values[0]


# Run by a baseline checkout's own Python code: its migrations and its directory loader.
PREPARE = """
import sys
from pathlib import Path
from alembic import command
from directory import entries, sync
from migrations import alembic_config
from models.db import make_engine, make_session_factory
url = sys.argv[1]
command.upgrade(alembic_config(url), "head")
engine = make_engine(url)
with make_session_factory(engine).begin() as session:
    sync.load(session, entries.parse(Path("examples/directory.toml").read_text()))
engine.dispose()
"""


@contextmanager
def checkout(revision: str) -> Iterator[Path]:
    """That revision's files in a temporary folder (``git archive``: no worktree to clean up)."""
    with tempfile.TemporaryDirectory(prefix="phone-line-baseline-") as folder:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", revision], cwd=ROOT, check=True, capture_output=True
        )
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
        yield Path(folder)


@contextmanager
def baseline_database(root: Path) -> Iterator[str]:
    with services.postgres_database() as url:
        env = {**os.environ, "PYTHONPATH": str(root)}
        subprocess.run([sys.executable, "-c", PREPARE, url], cwd=root, env=env, check=True)
        yield url


def latency_rounds(bases: Sequence[str], args: argparse.Namespace) -> list[list[Round]]:
    for base in bases:
        one_static_caller(base, 20)  # warm-up
    name = f"latency ({args.think_ms} ms pauses)"
    return [run_round(name, bases, args, args.think_ms / 1000) for _ in range(args.rounds)]


def compare(args: argparse.Namespace) -> None:
    """The baseline's server and this checkout's side by side, the same callers on both."""
    with ExitStack() as stack:
        root = stack.enter_context(checkout(args.baseline))
        old_url = stack.enter_context(baseline_database(root))
        old = stack.enter_context(server(old_url, args.workers, root))
        new_url = stack.enter_context(harness.demo_database())
        new = stack.enter_context(server(new_url, args.workers))
        rounds = latency_rounds([old, new], args)
    print(
        f"\n{args.baseline} -> this checkout: {args.callers} callers, each calling one server "
        f"then the other; gunicorn ({args.workers} workers each) on PostgreSQL and Redis; "
        f"{args.rounds} latency rounds ({args.think_ms} ms pauses)"
    )
    report_comparison(args.baseline, rounds)


def report_comparison(baseline: str, rounds: Sequence[Sequence[Round]]) -> None:
    """Each webhook's median and p99 on both servers, pooled over the rounds, with the 95%
    interval of each change (a p99 rests on its few slowest calls, so it moves from run to run
    by more than a median); then the medians of each round."""
    pooled = [_pool([each[side] for each in rounds]) for side in (0, 1)]
    paths = sorted(set(pooled[0]) | set(pooled[1]))
    heading = ("webhook", "n old/new", "median ms (95% interval)", "p99 ms (95% interval)")
    print("{:28} {:>9}  {:32} {:32}".format(*heading))
    slower = []
    for path in paths:
        old, new = pooled[0].get(path, []), pooled[1].get(path, [])
        if not (old and new):
            print(f"{path:28} {len(old):4}/{len(new):<4}  (called on one side only)")
            continue
        cells, verdicts = [], []
        for statistic in (statistics.median, p99):
            low, high = change_interval(old, new, statistic)
            cells.append(
                f"{statistic(old) * 1000:6.2f} -> {statistic(new) * 1000:6.2f} "
                f"({low * 1000:+.2f}..{high * 1000:+.2f})"
            )
            verdicts.append("slower" if low > 0 else "faster" if high < 0 else "same")
        verdict = "slower" if "slower" in verdicts else verdicts[0]
        if verdict == "slower" and path != FLOOR:
            slower.append(path)
        print(f"{path:28} {len(old):4}/{len(new):<4}  {cells[0]:32} {cells[1]:32} {verdict}")
    print(
        f"slower than {baseline} beyond the 95% interval (median or p99): "
        f"{', '.join(slower) or 'none'}"
    )
    print("\nmedians of each round, ms")
    for path in paths:
        cells = [
            f"{_median_ms(each[0], path):5.1f} ->{_median_ms(each[1], path):5.1f}"
            for each in rounds
        ]
        print(f"{path:28} " + "   ".join(cells))


def change_interval(
    old: Sequence[float], new: Sequence[float], statistic: Callable[[Sequence[float]], float]
) -> tuple[float, float]:
    """The 95% interval of ``statistic(new) - statistic(old)``: each side resampled with
    replacement (a bootstrap), 1,000 times, with a fixed seed so a report reads the same twice."""
    draw = random.Random(RESAMPLING_SEED)
    changes = sorted(
        statistic(draw.choices(new, k=len(new))) - statistic(draw.choices(old, k=len(old)))
        for _ in range(RESAMPLES)
    )
    return changes[int(RESAMPLES * 0.025)], changes[int(RESAMPLES * 0.975) - 1]


def _pool(rounds: Sequence[Round]) -> dict[str, list[float]]:
    """One server's latencies over several rounds, by path; the static route as the floor."""
    pooled: dict[str, list[float]] = defaultdict(list)
    for round_ in rounds:
        for path, values in round_.latencies.items():
            pooled[path] += values
        pooled[FLOOR] += round_.static
    return pooled


def _median_ms(round_: Round, path: str) -> float:
    values = round_.static if path == FLOOR else round_.latencies.get(path)
    return statistics.median(values) * 1000 if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--callers", type=int, default=8)
    parser.add_argument("--calls-per-caller", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--think-ms", type=int, default=100)
    parser.add_argument("--baseline", help="a git revision to compare with, in the same run")
    parser.add_argument("--rounds", type=int, default=2, help="with --baseline: latency rounds")
    args = parser.parse_args()
    if args.baseline:
        compare(args)
        return
    with harness.demo_database() as url, server(url, args.workers) as base:
        one_static_caller(base, 20)  # warm-up
        rounds = [
            *run_round("capacity (no pause)", [base], args, 0),
            *run_round(f"latency ({args.think_ms} ms pauses)", [base], args, args.think_ms / 1000),
        ]
    print(
        f"{args.callers} callers at once; gunicorn ({args.workers} workers) on PostgreSQL and Redis"
    )
    for each in rounds:
        report(each)


def report(round_: Round) -> None:
    floor = statistics.median(round_.static)
    print(f"\n{round_.name}: {round_.calls_per_second:.1f} complete calls per second")
    print(f"{'webhook':28} {'n':>6} {'median ms':>10} {'p99 ms':>8} {'x static':>9}")
    print(
        f"{FLOOR:28} {len(round_.static):6} {floor * 1000:10.1f} "
        f"{p99(round_.static) * 1000:8.1f} {1:9.1f}"
    )
    worst_ratio, worst_p99 = 0.0, 0.0
    for path, values in sorted(round_.latencies.items()):
        median = statistics.median(values)
        worst_ratio, worst_p99 = max(worst_ratio, median / floor), max(worst_p99, p99(values))
        print(
            f"{path:28} {len(values):6} {median * 1000:10.1f} {p99(values) * 1000:8.1f} "
            f"{median / floor:9.1f}"
        )
    print(f"worst median / static median: {worst_ratio:.1f} (target: at most 5)")
    print(f"worst p99: {worst_p99 * 1000:.1f} ms (target: under 50 ms)")


if __name__ == "__main__":
    main()
