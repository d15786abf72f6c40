"""``make run`` says plainly when the worker cannot run."""

from __future__ import annotations

import pytest
from honcho.manager import Manager

import settings
from cli import local_run


def test_without_redis_the_web_server_runs_alone_and_says_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("cli.local_run.shutil.which", lambda _name: None)
    state = local_run._redis("redis://127.0.0.1:1/0", Manager(), {})
    assert state == "missing"
    config = settings.load({}, {"REDIS_URL": "redis://127.0.0.1:1/0"})
    local_run._banner(config, "5000", state)
    out = capsys.readouterr().out
    assert "THE WORKER IS NOT RUNNING" in out
    assert "apt-get install redis-server" in out


def test_with_redis_server_installed_a_private_redis_is_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("cli.local_run.shutil.which", lambda _name: "/usr/bin/redis-server")
    manager = Manager()
    assert local_run._redis("redis://127.0.0.1:1/0", manager, {}) == "private"
    assert "redis" in manager._processes
