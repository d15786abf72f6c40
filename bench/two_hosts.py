"""Benchmark: two web hosts and two workers on one PostgreSQL and one Redis, then a
reconciliation as ``make bench-faults`` does (nothing lost, nothing twice).

Each "host" has a folder of its own (its spool, its metrics, its recordings folder) and its own
process group, and nothing on disk is shared: web host A and web host B (gunicorn each, reaching
the database through a proxy of their own), and two workers in two more folders. Callers place
calls whose steps alternate between A and B (a step goes to the other host when one does not
answer, as a load balancer would). Meanwhile host A loses the database (its webhooks go to its
spool) and is killed with SIGKILL before it could write them back. Its spool folder is then
replayed from host B (``flask spool replay --folder``, as docs/operations.md says), the workers
drain the outbox, and the bench reconciles. Last, each caller's message is copied from a
stand-in for Twilio's media by a worker in its own folder, into the database, and played from
host B's console, in byte ranges: every byte must be the stand-in's.

Run with ``make bench-hosts`` or ``python -m bench.two_hosts`` (PostgreSQL on 127.0.0.1 trusting
``postgres``; ``redis-server`` installed). It exits 0 whatever the figures (it measures); 1 when
the harness itself broke.
"""

from __future__ import annotations

import argparse
import http.client
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy import make_url, select, update

from bench import harness
from bench.load_and_fault import (
    Options,
    drain,
    environment,
    reconciled,
    run_callers,
    warn_if_closed,
)
from bench.mailbox import SmtpServer
from bench.report import HOST_KILLED, FaultWindow, Report
from bench.tcp_proxy import CuttableProxy
from helpdesk import tasks
from models import Recording
from models.db import make_engine, make_session_factory
from queueing import outbox, spool
from tests.console_world import HELENE, PASSWORD, give_passwords

# A message as Twilio's media would serve it: over three chunks of the storage's 256 KiB.
AUDIO = bytes(range(251)) * 3300
ACCOUNT_SID = "AC" + "0" * 32


@dataclass
class Host:
    """A web host: its folder, port, database proxy and gunicorn."""

    name: str
    folder: Path
    port: int
    proxy: CuttableProxy
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def spool(self) -> Path:
        return self.folder / "spool"


def folder_env(env: dict[str, str], folder: Path) -> dict[str, str]:
    """What lives on a host's own disk, in its own folder."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        **env,
        "SPOOL_DIR": str(folder / "spool"),
        "METRICS_DIR": str(folder / "metrics"),
        "RECORDINGS_DIR": str(folder / "recordings"),
    }


@dataclass
class Deployment:
    url: str
    logs: Path
    env: dict[str, str]
    redis_port: int
    hosts: list[Host]
    smtp: SmtpServer
    media: str  # the stand-in for Twilio's media
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    files: list[IO[bytes]] = field(default_factory=list)

    def log(self, name: str) -> IO[bytes]:
        handle = (self.logs / f"{name}.log").open("ab")
        self.files.append(handle)
        return handle

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        process = harness.start(argv, env, self.log(name))
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            harness.stop(process)
        for handle in self.files:
            handle.close()


@contextmanager
def deployment(url: str, logs: Path, web_workers: int) -> Iterator[Deployment]:
    with ExitStack() as stack:
        target = make_url(url)
        smtp = SmtpServer(harness.free_port())
        stack.enter_context(smtp)
        media = stack.enter_context(media_stand_in())
        redis_port = harness.free_port()
        hosts = []
        for name in ("host-a", "host-b"):
            proxy = CuttableProxy(
                target.host or "127.0.0.1", target.port or 5432, harness.free_port()
            )
            stack.enter_context(proxy)
            hosts.append(Host(name, logs / name, harness.free_port(), proxy))
        # Both hosts answer at one public address (Twilio signs with it: host A's here); the
        # callers post each step to either host's own port.
        env = environment(url, 0, redis_port, smtp.port, hosts[0].base)
        env["DATABASE_URL"] = url
        found = Deployment(url, logs, env, redis_port, hosts, smtp, media)
        stack.callback(found.stop_all)
        found.start(
            "redis",
            [
                *("redis-server", "--bind", "127.0.0.1", "--port", str(redis_port)),
                *("--save", "", "--appendonly", "no", "--dir", str(logs)),
            ],
            env,
        )
        harness.wait_for_port(redis_port, 10)
        for host in hosts:
            through = make_url(url).set(host="127.0.0.1", port=host.proxy.port)
            host.env = folder_env(env, host.folder)
            host.env["DATABASE_URL"] = through.render_as_string(hide_password=False)
            argv = [str(harness.BIN / "gunicorn"), "--bind", f"127.0.0.1:{host.port}"]
            argv += ["--workers", str(web_workers), "app:create_app()"]
            host.process = found.start(host.name, argv, host.env)
        for host in hosts:
            harness.wait_for_http(f"{host.base}/livez", 30)
        for index in (1, 2):
            worker_env = folder_env(env, logs / f"worker-{index}")
            process = found.start(f"worker-{index}", [sys.executable, "worker.py"], worker_env)
            found.workers.append(process)
        yield found


@contextmanager
def media_stand_in() -> Iterator[str]:
    """Twilio's media for the bench: the same audio for any recording; a DELETE is taken."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "audio/mpeg")
            self.send_header("Content-Length", str(len(AUDIO)))
            self.end_headers()
            self.wfile.write(AUDIO)

        def do_DELETE(self) -> None:
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class HostFault:
    """Host A loses the database, then dies with its spool full."""

    cut_at: float = 0.30
    kill_at: float = 0.55
    windows: list[FaultWindow] = field(default_factory=list)
    spooled_at_death: int = 0
    error: BaseException | None = None
    thread: threading.Thread | None = None

    def begin(self, began: float, seconds: float, host: Host) -> None:
        def run() -> None:
            try:
                self._run(began, seconds, host)
            except BaseException as error:  # said after the callers are done
                self.error = error

        self.thread = threading.Thread(target=run, name="host-fault", daemon=True)
        self.thread.start()

    def _run(self, began: float, seconds: float, host: Host) -> None:
        time.sleep(max(0.0, began + self.cut_at * seconds - time.time()))
        cut = time.time()
        host.proxy.cut()
        time.sleep(max(0.0, began + self.kill_at * seconds - time.time()))
        self.spooled_at_death = spool.waiting(host.spool)
        assert host.process is not None
        harness.signal_group(host.process, signal.SIGKILL)  # at once: nothing written back
        host.process.wait(timeout=10)
        killed = time.time()
        self.windows.append(FaultWindow("host A: database cut", cut - began, killed - began, cut))
        self.windows.append(FaultWindow(HOST_KILLED, killed - began, killed - began, killed))

    def finish(self) -> list[FaultWindow]:
        if self.thread is not None:
            self.thread.join(timeout=120)
        if self.error is not None:
            raise RuntimeError(f"the host fault failed: {self.error!r}") from self.error
        return self.windows


def replay_elsewhere(found: Deployment, dead: Host, alive: Host) -> str:
    """The operator's step: the dead host's spool, copied, replayed from a live host."""
    command = [str(harness.BIN / "flask"), "--app", "app", "spool", "replay"]
    command += ["--folder", str(dead.spool)]
    done = subprocess.run(
        command, cwd=harness.ROOT, env=alive.env, capture_output=True, text=True, timeout=120
    )
    return (done.stdout + done.stderr).strip()


@dataclass
class Playback:
    recordings: int = 0
    copied: int = 0
    played_whole: int = 0
    ranges_right: int = 0
    problems: list[str] = field(default_factory=list)


def copy_and_play(found: Deployment, player: Host) -> Playback:
    """Each message copied by a worker in its own folder, played from ``player``'s console.
    The load's workers had no Twilio account (their SMS are logged): they stop, and a worker
    with one (Twilio's media played by the stand-in) copies the messages."""
    for worker in found.workers:
        harness.stop(worker)
    sessions = make_session_factory(make_engine(found.url))
    with sessions() as session:
        give_passwords(session)  # it commits
    with sessions.begin() as session:
        rows = session.execute(select(Recording.id, Recording.url)).all()
        for recording_id, url in rows:  # Twilio's media, played by the stand-in
            media = found.media + urlsplit(url).path
            session.execute(update(Recording).where(Recording.id == recording_id).values(url=media))
            outbox.add(
                session,
                tasks.COPY_RECORDING,
                {"recording_id": recording_id},
                key=f"bench-copy-{recording_id}",
            )
    result = Playback(recordings=len(rows))
    copier = folder_env({**found.env, "TWILIO_ACCOUNT_SID": ACCOUNT_SID}, found.logs / "copier")
    subprocess.run(
        [sys.executable, "worker.py", "--burst"],
        cwd=harness.ROOT,
        env=copier,
        stdout=found.log("copier"),
        stderr=subprocess.STDOUT,
        timeout=300,
        check=False,
    )
    with sessions() as session:
        copied = session.scalars(
            select(Recording.id).where(Recording.stored_file_id.is_not(None))
        ).all()
        result.copied = len(copied)
    console = Console(player.base)
    console.sign_in(HELENE, PASSWORD)
    for recording_id in copied:
        whole = console.get(f"/console/recordings/{recording_id}")
        if whole == (200, AUDIO):
            result.played_whole += 1
        else:
            result.problems.append(f"recording {recording_id}: whole answer {whole[0]}")
        start, end = 262_000, 530_000  # across two chunks' boundaries
        part = console.get(f"/console/recordings/{recording_id}", {"Range": f"bytes={start}-{end}"})
        if part == (206, AUDIO[start : end + 1]):
            result.ranges_right += 1
        else:
            result.problems.append(f"recording {recording_id}: range answer {part[0]}")
    return result


class Console:
    """A supervisor's browser on one host, by hand: its cookies (Secure ones too, over the
    bench's plain HTTP) and the sign-in form's CSRF token."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port
        self.cookies: dict[str, str] = {}

    def _request(
        self, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            sent = dict(headers or {})
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if body:
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body or None, headers=sent)
            answer = connection.getresponse()
            for header in answer.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return answer.status, answer.read()
        finally:
            connection.close()

    def sign_in(self, email: str, password: str) -> None:
        _status, page = self._request("GET", "/console/sign-in")
        found = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
        if found is None:
            raise RuntimeError("no CSRF token on the sign-in page")
        form = {"email": email, "password": password, "csrf_token": found.group(1).decode()}
        status, _ = self._request("POST", "/console/sign-in", urlencode(form))
        if status != 302:
            raise RuntimeError(f"the sign-in answered {status}")

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        return self._request("GET", path, headers=headers)


@dataclass
class SpoolCheck:
    at_death: int  # webhooks in host A's spool when it was killed
    output: str  # what `flask spool replay --folder` said, on host B
    left: int  # entries still there after it

    @property
    def replayed(self) -> bool:
        return self.at_death > 0 and self.left == 0


def run(options: Options, logs: Path) -> tuple[Report, Playback, SpoolCheck]:
    with harness.demo_database() as url, deployment(url, logs, options.web_workers) as found:
        host_a, host_b = found.hosts
        fault = HostFault()
        calls = run_callers(
            options,
            host_a.base,
            logs,
            lambda began: fault.begin(began, options.seconds, host_a),
            others=(host_b.base,),
        )
        windows = fault.finish()
        output = replay_elsewhere(found, host_a, host_b)
        check = SpoolCheck(fault.spooled_at_death, output, spool.waiting(host_a.spool))
        drained = drain(url, options.drain)
        report = build_report(options, found, calls, windows, drained)
        playback = copy_and_play(found, host_b)
        return report, playback, check


def build_report(
    options: Options,
    found: Deployment,
    calls: list[Any],
    windows: list[FaultWindow],
    drained: float,
) -> Report:
    by_host = Counter(r.host for c in calls for r in c.requests if r.host)
    setting = (
        f"{options.callers} callers for {options.seconds:.0f} s, steps alternating "
        f"between two web hosts ({_counts(by_host)}), gunicorn {options.web_workers} "
        "workers each; two RQ workers in folders of their own; one PostgreSQL, one Redis"
    )
    return reconciled(
        setting,
        found.url,
        found.redis_port,
        found.smtp,
        calls,
        windows,
        [],
        (drained, options.drain),
    )


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{name.rsplit(':', 1)[-1]}: {n}" for name, n in sorted(counter.items()))


def parse_options() -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--callers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--think-ms", type=int, default=300, help="a caller's pause per step")
    parser.add_argument("--drain", type=float, default=60, help="longest wait for the workers")
    args = parser.parse_args()
    return Options(args.callers, args.seconds, args.web_workers, args.think_ms / 1000, args.drain)


def main() -> int:
    options = parse_options()
    warn_if_closed()
    logs = Path(tempfile.mkdtemp(prefix="bench-hosts-"))
    try:
        report, playback, spooled = run(options, logs)
    except Exception:
        traceback.print_exc()
        print(f"the harness broke; the processes' logs are in {logs}", file=sys.stderr)
        return 1
    report.print()
    print(
        f"host A died with {spooled.at_death} webhook(s) in its spool; replayed from host B: "
        f"{spooled.output!r}; {spooled.left} left"
    )
    print(f"{'PASS' if spooled.replayed else 'FAIL'}  the dead host's spool replayed elsewhere")
    print(
        f"recordings: {playback.recordings}; copied by a worker: {playback.copied}; played "
        f"whole from host B: {playback.played_whole}; byte ranges right: {playback.ranges_right}"
    )
    for problem in playback.problems[:10]:
        print(f"  {problem}")
    every = playback.recordings == playback.copied == playback.played_whole
    every = every and playback.copied == playback.ranges_right and playback.recordings > 0
    print(f"{'PASS' if every else 'FAIL'}  every message copied on one host, played from the other")
    print(f"\nthe processes' logs: {logs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
