"""``make run``: .env read first, the worker's absence said plainly, and real supervision."""

from __future__ import annotations

import io
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import IO

import pytest
import requests

import settings
from cli import local_run
from cli.supervisor import Program, RestartPolicy, Supervisor
from tests import services

ROOT = Path(__file__).resolve().parent.parent
NOBODY = "redis://127.0.0.1:1/0"  # nothing answers on port 1

# A stand-in for the web server or the worker: it starts a child in its process group, as
# gunicorn's workers are, and a child in a group of its own; prints the pids.
STAND_IN = """
import os, subprocess, sys, time
sleep = [sys.executable, "-c", "import time; time.sleep(60)"]
same = subprocess.Popen(sleep)
apart = subprocess.Popen(sleep, process_group=0)
print("pids", os.getpid(), same.pid, apart.pid, flush=True)
time.sleep(60)
"""


def test_dotenv_is_read_before_the_port_and_redis_are_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cli.local_run.shutil.which", lambda _name: "/usr/bin/redis-server")
    monkeypatch.setattr("cli.local_run.INSTANCE", tmp_path)
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"PORT=6001\nREDIS_URL={NOBODY}\nRQ_QUEUE=from-file\n")
    local = local_run.local_environment(dotenv, {"RQ_QUEUE": "from-environment"})
    config = settings.load(local.env)
    state, programs = local_run.plan(local, config.redis_url)
    assert state == "private"
    commands = {program.name: list(program.command) for program in programs}
    assert commands["redis"][commands["redis"].index("--port") + 1] == "1"
    assert local.env["PORT"] == "6001" and config.port == 6001
    assert local.env["PUBLIC_BASE_URL"] == "http://127.0.0.1:6001"
    assert config.rq_queue == "from-environment"


def test_a_development_run_keeps_its_secrets_under_instance_and_sends_mail_to_its_sink(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cli.local_run.INSTANCE", tmp_path)
    first = local_run.local_environment(tmp_path / ".env", {"PORT": "6001"})
    again = local_run.local_environment(tmp_path / ".env", {"PORT": "6001"})
    assert first.env["SECRET_KEY"] == again.env["SECRET_KEY"] != ""
    assert len(first.env["INBOUND_EMAIL_SECRET"]) == 64
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
    assert first.env["SMTP_URL"] == "smtp://127.0.0.1:6026" and first.sink_port == 6026
    assert (
        first.mode
        == "development mode (make run's default; DEBUG=false in .env runs production mode)"
    )


def test_dotenv_saying_debug_false_runs_production_mode_without_development_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cli.local_run.INSTANCE", tmp_path)
    dotenv = tmp_path / ".env"
    dotenv.write_text("DEBUG=false\n")
    local = local_run.local_environment(dotenv, {})
    assert local.mode.startswith("production mode (DEBUG is set in .env)")
    assert "SECRET_KEY" not in local.env and local.sink_port is None
    assert not (tmp_path / "secret_key").exists()


def test_the_development_example_runs_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cli.local_run.INSTANCE", tmp_path)
    local = local_run.local_environment(ROOT / ".env.example", {})
    config = settings.load(local.env)
    settings.check_production(config)
    assert config.debug and config.secret_key and config.smtp_url.startswith("smtp://127.0.0.1:")


def test_outside_debug_make_run_names_the_missing_secrets_before_starting_anything(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEBUG", "false")
    monkeypatch.setenv("SECRET_KEY", "")
    monkeypatch.setattr("cli.local_run.run", lambda *_args: pytest.fail("started anyway"))
    assert local_run.main([]) == 1
    error = capsys.readouterr().err
    assert error.startswith("make run: missing setting(s) outside debug and testing: SECRET_KEY")
    assert "production mode (DEBUG is set in the environment)" in error


def test_make_run_says_when_its_port_is_taken_before_starting_anything(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr("cli.local_run.run", lambda *_args: pytest.fail("started anyway"))
    monkeypatch.setattr("cli.local_run.INSTANCE", tmp_path)
    monkeypatch.setenv("DEBUG", "true")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("PORT", str(taken.getsockname()[1]))
        assert local_run.main([]) == 1
    assert "is taken (another make run?)" in capsys.readouterr().err


def _local(**env: str) -> local_run.Local:
    return local_run.Local({"PORT": "5000", **env}, "development mode (test)", None)


def test_without_redis_the_web_server_runs_alone_and_says_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("cli.local_run.shutil.which", lambda _name: None)
    state, programs = local_run.plan(_local(), NOBODY)
    assert state == "missing"
    assert [program.name for program in programs] == ["web"]
    local_run._banner(_local(), settings.load({}, {"REDIS_URL": NOBODY}), state)
    out = capsys.readouterr().out
    assert "THE WORKER IS NOT RUNNING" in out
    assert "apt-get install redis-server" in out


def test_with_redis_server_installed_a_private_redis_is_started_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("cli.local_run.shutil.which", lambda _name: "/usr/bin/redis-server")
    state, programs = local_run.plan(local_run.Local({"PORT": "5000"}, "", 5025), NOBODY)
    assert state == "private"
    assert [program.name for program in programs] == ["redis", "mail", "web", "worker"]


def test_the_banner_names_every_door_to_point_twilio_and_mail_at(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = settings.load({}, {"DEBUG": True, "INBOUND_EMAIL_SECRET": "s3cret"})
    local_run._banner(
        local_run.Local({"PORT": "5000"}, "development mode (test)", 5025), config, "up"
    )
    out = capsys.readouterr().out
    for door in ("/voice/incoming", "/voice/status", "/voice/fallback", "/sms/incoming"):
        assert door in out
    assert "curl -sS -H 'Authorization: Bearer s3cret'" in out
    assert "make sms ARGS='OK 1001'" in out and "Mode: development mode (test)" in out


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for a parent that will never reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in {"Z", "X"}


def _gone_soon(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)
    return {pid for pid in pids if _alive(pid)}


class Lines:
    """The supervisor's output, line by line, waited for with a deadline."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.unmatched: list[str] = []
        assert process.stdout is not None
        self.reader = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
        self.reader.start()

    def _read(self, stream: IO[str]) -> None:
        with stream:
            for line in stream:
                self.lines.put(line)

    def expect(self, wanted: Callable[[str], bool], seconds: float = 10) -> str:
        """The first line not yet expected that is wanted, reading more until the deadline."""
        deadline = time.monotonic() + seconds
        while True:
            for index, line in enumerate(self.unmatched):
                if wanted(line):
                    return self.unmatched.pop(index)
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("not seen; output:\n" + "".join(self.seen)) from None
            self.seen.append(line)
            self.unmatched.append(line)

    def pids(self, name: str) -> list[int]:
        line = self.expect(lambda line: line.startswith(f"{name} ") and "| pids " in line)
        return _pids(line)

    def every_pid(self) -> set[int]:
        """Every pid printed, the lines not yet read included (the supervisor has ended)."""
        self.reader.join(timeout=5)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return {pid for line in self.seen if "| pids " in line for pid in _pids(line)}


def _pids(line: str) -> list[int]:
    return [int(word) for word in line.split("| pids ")[1].split()]


def _clean_up(supervisor: subprocess.Popen[str], output: Lines) -> None:
    """Whatever the test saw, nothing it started outlives it."""
    if supervisor.poll() is None:
        supervisor.terminate()
        with suppress(subprocess.TimeoutExpired):
            supervisor.wait(timeout=5)
        supervisor.kill()
        supervisor.wait()
    for pid in output.every_pid():
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


SUPERVISE = f"""
import sys
from cli.supervisor import Program, RestartPolicy, Supervisor
from tests import services
stand_in = [sys.executable, "-c", {STAND_IN!r}]
programs = [Program("web", stand_in), Program("worker", stand_in)]
sys.exit(Supervisor(programs, RestartPolicy(delays=(0.2, 0.4), grace=2)).run())
"""


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_a_killed_worker_is_restarted_and_a_stop_ends_every_process(stop: signal.Signals) -> None:
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISE], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    output = Lines(supervisor)
    try:
        web, worker = output.pids("web"), output.pids("worker")
        os.kill(worker[0], signal.SIGKILL)
        died = output.expect(lambda line: "*** worker (pid" in line)
        assert f"worker (pid {worker[0]}) was killed by SIGKILL; restarting it in 0.2 s" in died
        assert _gone_soon(set(worker), 2) == set()  # its children did not outlive it
        restarted = output.pids("worker")
        assert all(_alive(pid) for pid in web + restarted)

        supervisor.send_signal(stop)
        assert supervisor.wait(timeout=5) == 0
        assert _gone_soon(set(web + restarted), 1) == set()
        output.expect(lambda line: f"*** {stop.name}: stopping every process" in line)
    finally:
        _clean_up(supervisor, output)


def test_a_process_that_keeps_dying_stops_everything() -> None:
    crash = [sys.executable, "-c", "raise SystemExit(3)"]
    out = io.StringIO()
    programs = [Program("web", [sys.executable, "-c", STAND_IN]), Program("worker", crash)]
    policy = RestartPolicy(delays=(0.1, 0.2), window=60, grace=2)
    assert Supervisor(programs, policy, out).run() == 1
    text = out.getvalue()
    assert text.count("worker started (pid") == 3
    assert text.count("worker (pid") == 3
    assert "exited with code 3, 3 times in 60 s: giving up: stopping every process" in text
    web = next(line for line in text.splitlines() if line.startswith("web ") and "| pids" in line)
    started = set(_pids(web))
    assert len(started) == 3
    assert _gone_soon(started, 1) == set()


def _wait_healthy(url: str, process: subprocess.Popen[str], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "make run stopped"
        with suppress(requests.RequestException):
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"not healthy within {seconds} s")


def test_make_run_serves_the_console_to_a_demo_supervisor_and_stops_quietly(
    tmp_path: Path,
) -> None:
    port = services.free_port()
    env = {
        **os.environ,
        "DEBUG": "true",  # whatever the checkout's .env says
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "REDIS_URL": services.REDIS_TEST_URL,
        "RQ_QUEUE": f"make-run-{port}",
        "SPOOL_DIR": str(tmp_path / "spool"),
        "RECORDINGS_DIR": str(tmp_path / "recordings"),
        "SMTP_URL": "",
        "PUBLIC_BASE_URL": "",
        "SECRET_KEY": "",
    }
    services.redis_client().close()  # skipped (failed under CI) without Redis
    run = subprocess.Popen(
        [sys.executable, "-m", "cli.local_run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = Lines(run)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, run, 60)
        browser = requests.Session()
        page = browser.get(f"{url}/console/sign-in", timeout=5)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert page.status_code == 200 and token
        demo = {"email": "helene@altilogix.example", "password": "altilogix-demo"}
        signed = browser.post(f"{url}/console/sign-in", {**demo, "csrf_token": token.group(1)})
        assert signed.status_code == 200 and "Hélène Bergeron" in signed.text  # her home
        run.send_signal(signal.SIGINT)
        assert run.wait(timeout=30) == 0
    finally:
        _clean_up(run, output)
    said = "".join(output.seen)
    assert "Traceback" not in said
    stops = [said.index(f"*** stopping {name}") for name in ("worker", "web", "mail")]
    assert stops == sorted(stops), said
