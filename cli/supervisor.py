"""Runs ``make run``'s processes: prefixes their output, restarts one that dies, stops them all.

Each process starts in a session of its own, so that a Ctrl-C at the terminal reaches only the
supervisor, and stopping a process reaches everything it started: gunicorn's workers (same
process group), and any child that made a process group of its own (same session).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, TextIO

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
SELF = "supervisor"


@dataclass(frozen=True)
class Program:
    """A process to keep running: its name in the output, its command, environment, directory."""

    name: str
    command: Sequence[str]
    env: Mapping[str, str] | None = None
    cwd: Path | None = None


@dataclass(frozen=True)
class RestartPolicy:
    """A process that dies is restarted after ``delays[n - 1]`` seconds, n being its deaths in
    the last ``window`` seconds; one death more than ``delays`` allows stops everything."""

    delays: tuple[float, ...] = (1, 2, 4, 8)
    window: float = 60
    grace: float = 4  # seconds between SIGTERM and SIGKILL when stopping


@dataclass
class _Child:
    program: Program
    process: subprocess.Popen[bytes] | None = None
    restart_at: float = 0.0
    deaths: list[float] = field(default_factory=list)


class Supervisor:
    """Keeps its programs running until a stop signal, or until one will not stay up."""

    def __init__(
        self,
        programs: Sequence[Program],
        policy: RestartPolicy | None = None,
        out: TextIO | None = None,
    ) -> None:
        self.children = [_Child(program) for program in programs]
        self.policy = policy or RestartPolicy()
        self.out = out or sys.stdout
        self.width = max(len(name) for name in [SELF, *(p.name for p in programs)])
        self.lock = threading.Lock()
        self.stop_reason: str | None = None
        self.gave_up = False
        self.signals = 0

    def run(self) -> int:
        """Run until stopped: 0 after a stop signal, 1 after giving up on a process."""
        previous = {number: signal.signal(number, self._on_signal) for number in STOP_SIGNALS}
        try:
            while self.stop_reason is None:
                self._tend(time.monotonic())
                time.sleep(0.1)
            self.say(f"{self.stop_reason}: stopping every process")
            self._stop_all()
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
        return 1 if self.gave_up else 0

    def say(self, text: str) -> None:
        self._write(SELF, f"*** {text}")

    def _on_signal(self, number: int, _frame: FrameType | None) -> None:
        self.signals += 1  # a second one cuts the grace period short
        self.stop_reason = self.stop_reason or signal.Signals(number).name

    def _tend(self, now: float) -> None:
        for child in self.children:
            if self.stop_reason is not None:
                return
            if child.process is None and now >= child.restart_at:
                self._start(child)
            elif child.process is not None and child.process.poll() is not None:
                self._died(child, now)

    def _start(self, child: _Child) -> None:
        program = child.program
        try:
            child.process = subprocess.Popen(
                list(program.command),
                env=None if program.env is None else dict(program.env),
                cwd=program.cwd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as error:
            self._give_up(f"{program.name} cannot start ({error})")
            return
        self.say(f"{program.name} started (pid {child.process.pid})")
        output = child.process.stdout
        assert output is not None
        threading.Thread(target=self._relay, args=(program.name, output), daemon=True).start()

    def _died(self, child: _Child, now: float) -> None:
        assert child.process is not None
        pid, code = child.process.pid, child.process.returncode
        # What it started (gunicorn's workers, a child of its own group) would otherwise run on.
        _signal_session(pid, signal.SIGKILL)
        child.process = None
        child.deaths = [*(t for t in child.deaths if now - t < self.policy.window), now]
        what = f"{child.program.name} (pid {pid}) {_ending(code)}"
        if len(child.deaths) > len(self.policy.delays):
            window = f"{self.policy.window:g}"
            self._give_up(f"{what}, {len(child.deaths)} times in {window} s: giving up")
            return
        delay = self.policy.delays[len(child.deaths) - 1]
        child.restart_at = now + delay
        self.say(f"{what}; restarting it in {delay:g} s")

    def _give_up(self, reason: str) -> None:
        self.gave_up = True
        self.stop_reason = reason

    def _stop_all(self) -> None:
        """Stop the programs in the reverse of their order (the worker, then the web server,
        then what they use): SIGTERM to each session, SIGKILL to what is left of it after the
        grace period, or at once after a second Ctrl-C."""
        for child in reversed(self.children):
            if child.process is not None:
                self.say(f"stopping {child.program.name}")
                self._stop(child.process)
                child.process = None
        self.say("every process has stopped")

    def _stop(self, process: subprocess.Popen[bytes]) -> None:
        _signal_session(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.policy.grace
        while self.signals < 2 and time.monotonic() < deadline and _running(process):
            time.sleep(0.05)
        _signal_session(process.pid, signal.SIGKILL)
        process.wait()

    def _relay(self, name: str, stream: IO[bytes]) -> None:
        with stream:
            for line in stream:
                self._write(name, line.decode(errors="replace").rstrip())

    def _write(self, name: str, text: str) -> None:
        with self.lock, suppress(OSError, ValueError):
            # A terminal or pipe that went away (`make run | tee` stopped by Ctrl-C) must not
            # stop the supervisor before it has stopped its programs.
            self.out.write(f"{name:<{self.width}} | {text}\n")
            self.out.flush()


def _running(process: subprocess.Popen[bytes]) -> bool:
    return process.poll() is None or bool(_session_members(process.pid))


def _ending(code: int) -> str:
    if code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


def _signal_session(session: int, number: int) -> None:
    """Signal the process group that leads ``session``, and the session's other groups."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(session, number)
    for pid, group in _session_members(session):
        if group != session:
            with suppress(ProcessLookupError, PermissionError):
                os.kill(pid, number)


def _session_members(session: int) -> list[tuple[int, int]]:
    """(pid, process group) of the live processes of a session, from /proc; [] without /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended while we looked
        state, group, member_of = fields[0], int(fields[2]), int(fields[3])
        if member_of == session and state not in {"Z", "X"}:
            members.append((int(stat.parent.name), group))
    return members
