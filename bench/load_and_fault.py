"""Benchmark: the phone line under load while its services fail, then a reconciliation.

Fifty simulated callers place complete signed calls for a minute against gunicorn (several
workers) on a fresh PostgreSQL database, with two RQ workers on a private Redis. Meanwhile:

- Redis is stopped for 10 s and started again, empty (no persistence, as `make run`'s);
- one RQ worker is killed with SIGKILL (its work horse too) and started again;
- PostgreSQL is unreachable for 5 s: the app and the workers reach it through a proxy that the
  bench cuts, so the machine's own server (other people use it) is never touched.

Then the workers get up to a minute to drain, and the bench reconciles what the callers were
told against the database, the SMTP server it runs, and RQ (see bench/reconcile.py), and prints
PASS or FAIL per target. It exits 0 whatever the figures (it measures, it is not a test); 1 only
when the harness itself broke.

Run with ``make bench-faults`` or ``python -m bench.load_and_fault`` (PostgreSQL on 127.0.0.1
trusting ``postgres``; ``redis-server`` installed).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from redis import Redis
from sqlalchemy import make_url

from bench import harness, reconcile
from bench.callers import CallerPlan, Phrases, PlacedCall, caller_main, read_calls
from bench.mailbox import SmtpServer
from bench.report import FaultWindow, Report, WorkerExit, latency_figures, verdict
from bench.tcp_proxy import CuttableProxy
from models import utcnow
from models.db import make_engine, make_session_factory
from routing import config as business_hours

TOKEN = "bench-faults-token"
HOURS_FILE = Path(__file__).with_name("always_open.toml")
RQ_QUEUE = "altilogix"


@dataclass(frozen=True)
class Options:
    callers: int
    seconds: float
    web_workers: int
    think: float
    drain: float


@dataclass
class Services:
    """Everything the bench started and must stop; each process in its own group."""

    logs: Path
    env: dict[str, str]
    redis_port: int
    web: subprocess.Popen[bytes] | None = None
    redis: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes] | None] = field(default_factory=list)
    files: list[IO[bytes]] = field(default_factory=list)

    def log(self, name: str) -> IO[bytes]:
        handle = (self.logs / f"{name}.log").open("ab")
        self.files.append(handle)
        return handle

    def start_redis(self) -> None:
        # No persistence: a restart comes back empty, as production's worst case.
        self.redis = harness.start(
            [
                *("redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_port)),
                *("--save", "", "--appendonly", "no", "--dir", str(self.logs)),
            ],
            self.env,
            self.log("redis"),
        )
        harness.wait_for_port(self.redis_port, 10)

    def stop_redis(self) -> None:
        if self.redis is not None:
            harness.stop(self.redis)

    def start_web(self, workers: int, port: int) -> None:
        argv = [str(harness.BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}"]
        # A request stuck for 10 s is killed, as `make run` does: well before Twilio's 15 s.
        argv += ["--workers", str(workers), "--timeout", "10", "app:create_app()"]
        self.web = harness.start(argv, self.env, self.log("gunicorn"))
        harness.wait_for_http(f"http://127.0.0.1:{port}/healthz", 30)

    def start_worker(self, index: int) -> None:
        process = harness.start(
            [sys.executable, "worker.py"], self.env, self.log(f"worker-{index + 1}")
        )
        if index < len(self.workers):
            self.workers[index] = process
        else:
            self.workers.append(process)

    def stop_all(self) -> None:
        for process in [self.web, *self.workers, self.redis]:
            if process is not None:
                harness.stop(process)
        for handle in self.files:
            handle.close()


class WorkerWatch(threading.Thread):
    """Restarts an RQ worker that exits on its own, after 1 s, as `make run`'s supervisor and a
    Procfile runner would, and notes it: a worker should survive the faults."""

    def __init__(self, services: Services, began: float) -> None:
        super().__init__(name="worker-watch", daemon=True)
        self.services, self.began = services, began
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.exits: list[WorkerExit] = []

    def run(self) -> None:
        while not self.stopped.wait(0.5):
            with self.lock:
                for index, process in enumerate(self.services.workers):
                    if process is not None and process.poll() is not None:
                        self._restart(index, process.returncode)

    def _restart(self, index: int, code: int) -> None:
        self.exits.append(WorkerExit(f"worker-{index + 1}", time.time() - self.began, code))
        harness.stop(self.services.workers[index] or _gone())
        time.sleep(1)
        self.services.start_worker(index)

    def kill(self, index: int) -> None:
        """SIGKILL a worker's whole group (the job in progress dies with it), unnoticed by the
        watch: this death is planned."""
        with self.lock:
            process = self.services.workers[index]
            if process is not None:
                harness.signal_group(process, signal.SIGKILL)
                process.wait(timeout=10)
            self.services.workers[index] = None

    def revive(self, index: int) -> None:
        with self.lock:
            self.services.start_worker(index)


def _gone() -> subprocess.Popen[bytes]:
    raise AssertionError("a watched worker has no process")


@dataclass
class FaultPlan:
    """When each fault starts, as a fraction of the load's length; how long it lasts (s)."""

    redis_at: float = 0.13
    redis_for: float = 10
    kill_at: float = 0.40
    kill_for: float = 2  # until the killed worker is started again
    postgres_at: float = 0.60
    postgres_for: float = 5


def inject_faults(
    plan: FaultPlan,
    seconds: float,
    began: float,
    services: Services,
    watch: WorkerWatch,
    proxy: CuttableProxy,
) -> list[FaultWindow]:
    """Run the faults in order, each at its time after ``began``; the windows they covered."""
    windows = []
    steps: list[tuple[float, float, str, Callable[[], None], Callable[[], None]]] = [
        (plan.redis_at, plan.redis_for, "redis down", services.stop_redis, services.start_redis),
        (
            plan.kill_at,
            plan.kill_for,
            "worker SIGKILL",
            lambda: watch.kill(0),
            lambda: watch.revive(0),
        ),
        (plan.postgres_at, plan.postgres_for, "postgres unreachable", proxy.cut, proxy.restore),
    ]
    for at, lasting, name, begin, end in steps:
        _sleep_until(began + at * seconds)
        started = time.time()
        begin()
        _sleep_until(started + lasting)
        end()
        windows.append(FaultWindow(name, started - began, time.time() - began, started))
    return windows


def _sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()))


def run_callers(
    options: Options,
    base: str,
    folder: Path,
    on_start: Callable[[float], None],
    others: tuple[str, ...] = (),
) -> list[PlacedCall]:
    """Start every caller (spawned: no thread of this process is copied into them), release
    them at once, and collect their calls. ``others``: more hosts, the steps alternating."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(options.callers + 1)
    phrases = Phrases.load()
    processes = []
    for index in range(options.callers):
        out = folder / f"caller-{index}.json"
        plan = CallerPlan(
            index, base, TOKEN, options.seconds, options.think, phrases, str(out), others
        )
        process = context.Process(target=caller_main, args=(plan, barrier), daemon=True)
        process.start()
        processes.append((process, out))
    try:
        barrier.wait(timeout=120)
        on_start(time.time())
        calls: list[PlacedCall] = []
        for process, out in processes:
            # A call in progress at the end finishes: its webhooks are bounded by timeouts.
            process.join(timeout=options.seconds + 90)
            if out.exists():
                calls += read_calls(out)
        return calls
    finally:
        for process, _ in processes:
            if process.is_alive():
                process.kill()
                process.join(timeout=5)


def drain(url: str, limit: float) -> float:
    """Wait until no due outbox row is left undone, or ``limit`` seconds; how long it took."""
    sessions = make_session_factory(make_engine(url))
    began = time.monotonic()
    while time.monotonic() - began < limit:
        with sessions() as session:
            if reconcile.due_not_done(session) == 0:
                break
        time.sleep(1)
    return time.monotonic() - began


@contextmanager
def started_services(
    url: str, options: Options, logs: Path
) -> Iterator[tuple[Services, CuttableProxy, SmtpServer, str]]:
    """Proxy, SMTP server, Redis, gunicorn and two RQ workers, all stopped on the way out."""
    with ExitStack() as stack:
        target = make_url(url)
        proxy = stack.enter_context(
            CuttableProxy(target.host or "127.0.0.1", target.port or 5432, harness.free_port())
        )
        smtp = SmtpServer(harness.free_port())
        stack.enter_context(smtp)
        web_port, redis_port = harness.free_port(), harness.free_port()
        base = f"http://127.0.0.1:{web_port}"
        env = environment(url, proxy.port, redis_port, smtp.port, base)
        services = Services(logs, env, redis_port)
        stack.callback(services.stop_all)
        services.start_redis()
        services.start_web(options.web_workers, web_port)
        for index in range(2):
            services.start_worker(index)
        yield services, proxy, smtp, base


def environment(
    url: str, proxy_port: int, redis_port: int, smtp_port: int, base: str
) -> dict[str, str]:
    """What gunicorn and the workers run with: production checks on (DEBUG false), the database
    through the proxy, the private Redis, the bench's SMTP server, no Twilio account (SMS are
    logged and marked sent), and hours open around the clock."""
    through_proxy = make_url(url).set(host="127.0.0.1", port=proxy_port)
    return {
        **os.environ,
        **harness.PRODUCTION_LINE,
        "DATABASE_URL": through_proxy.render_as_string(hide_password=False),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "RQ_QUEUE": RQ_QUEUE,
        "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_ACCOUNT_SID": "",
        "PUBLIC_BASE_URL": base,
        "SECRET_KEY": "bench-faults",
        "DEBUG": "false",
        "TESTING": "false",
        "BUSINESS_HOURS_FILE": str(HOURS_FILE),
        "LOG_LEVEL": "WARNING",
    }


def run(options: Options, logs: Path) -> Report:
    """Everything up, the load with its faults, the drain, the reconciliation; everything down."""
    with (
        harness.demo_database() as url,
        started_services(url, options, logs) as (services, proxy, smtp, base),
    ):
        watch = WorkerWatch(services, time.time())
        watch.start()
        faults = FaultThread(options.seconds, services, watch, proxy)
        try:
            calls = run_callers(options, base, logs, faults.begin)
            windows = faults.finish()
            drained = drain(url, options.drain)
        finally:
            watch.stopped.set()
            watch.join(timeout=10)
        return build_report(options, url, services, smtp, calls, windows, watch, drained)


class FaultThread(threading.Thread):
    """The faults, run beside the callers from the moment they are released."""

    def __init__(
        self, seconds: float, services: Services, watch: WorkerWatch, proxy: CuttableProxy
    ) -> None:
        super().__init__(name="faults", daemon=True)
        self.seconds, self.services, self.watch, self.proxy = seconds, services, watch, proxy
        self.began = 0.0
        self.windows: list[FaultWindow] = []
        self.error: BaseException | None = None

    def begin(self, began: float) -> None:
        self.began = self.watch.began = began
        self.start()

    def run(self) -> None:
        try:
            self.windows = inject_faults(
                FaultPlan(), self.seconds, self.began, self.services, self.watch, self.proxy
            )
        except BaseException as error:  # the harness broke: said after the callers are done
            self.error = error

    def finish(self) -> list[FaultWindow]:
        self.join(timeout=60)
        if self.error is not None:
            raise RuntimeError(f"a fault could not be injected: {self.error!r}") from self.error
        return self.windows


def build_report(
    options: Options,
    url: str,
    services: Services,
    smtp: SmtpServer,
    calls: list[PlacedCall],
    windows: list[FaultWindow],
    watch: WorkerWatch,
    drained: float,
) -> Report:
    setting = (
        f"{options.callers} callers for {options.seconds:.0f} s "
        f"({options.think * 1000:.0f} ms between steps); gunicorn "
        f"{options.web_workers} workers, 2 RQ workers; PostgreSQL through a cuttable "
        "proxy; a private Redis without persistence"
    )
    return reconciled(
        setting,
        url,
        services.redis_port,
        smtp,
        calls,
        windows,
        watch.exits,
        (drained, options.drain),
    )


def reconciled(
    setting: str,
    url: str,
    redis_port: int,
    smtp: SmtpServer,
    calls: list[PlacedCall],
    windows: list[FaultWindow],
    worker_exits: list[WorkerExit],
    drain: tuple[float, float],
) -> Report:
    """What the callers were told, reconciled with what the database, the outbox, Redis and the
    mailbox hold; ``drain``: how long the workers took to drain, and the longest wait."""
    hours = business_hours.load(HOURS_FILE)
    with make_session_factory(make_engine(url))() as session:
        stored = reconcile.Stored.read(session)
        policy = reconcile.Policy.load(session, hours)
        tickets = reconcile.reconcile_tickets(reconcile.expectations(calls), stored)
        redis = Redis(port=redis_port, socket_timeout=5)
        outbox = reconcile.reconcile_outbox(tickets, stored, redis, RQ_QUEUE, utcnow())
        return Report(
            setting=setting,
            calls_placed=len(calls),
            calls_aborted=sum(1 for c in calls if c.aborted),
            scenarios=Counter(c.scenario for c in calls),
            calls=reconcile.reconcile_calls(calls, stored),
            tickets=tickets.tally,
            notifications=reconcile.reconcile_notifications(tickets, stored, policy),
            mail=reconcile.reconcile_mail(stored, smtp.mailbox.snapshot()),
            outbox=outbox,
            verdicts=Counter(verdict(r, windows) for c in calls for r in c.requests),
            latency=latency_figures(calls, windows),
            faults=windows,
            worker_exits=worker_exits,
            drain_seconds=drain[0],
            drain_limit=drain[1],
            unconfirmed=sum(1 for c in calls if unconfirmed_message(c)),
        )


def unconfirmed_message(call: PlacedCall) -> bool:
    """The caller heard the apology, left a message, and was never told it was kept: the
    recording is at Twilio, and nothing in the helpdesk points to it."""
    apologized = any(r.verdict == "apology" for r in call.requests)
    return apologized and call.left_message and not (call.message_saved or call.will_verify)


def warn_if_closed() -> None:
    """The bench's hours are open around the clock, but a statutory holiday still closes: then
    every notice waits for the next opening and the counts say so."""
    hours = business_hours.load(HOURS_FILE)
    for line in ("regular", "cata"):
        if not hours.calendar(line).status(utcnow()).is_open:
            print(f"warning: the {line} schedule is closed now (a holiday): notices will wait")


def parse_options() -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--think-ms", type=int, default=500, help="a caller's pause per step")
    parser.add_argument("--drain", type=float, default=60, help="longest wait for the workers")
    args = parser.parse_args()
    return Options(args.callers, args.seconds, args.web_workers, args.think_ms / 1000, args.drain)


def main() -> int:
    options = parse_options()
    warn_if_closed()
    logs = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    try:
        report = run(options, logs)
    except Exception:
        traceback.print_exc()
        print(f"the harness broke; the processes' logs are in {logs}", file=sys.stderr)
        return 1
    report.print()
    print(f"\nthe processes' logs: {logs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
