"""``make call``: it reaches ``make run``'s server where that server is, or says plainly why not."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from flask import Flask

import settings
from app import create_app
from cli import local_run


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _app(tmp_path: Path) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "TWILIO_AUTH_TOKEN": local_run.LOCAL_TOKEN,
            "PUBLIC_BASE_URL": "",
        }
    )


def test_without_a_server_the_call_says_so_in_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    result = _app(tmp_path).test_cli_runner().invoke(args=["call", "simulate", "--url", url])
    assert result.exit_code == 1
    assert result.output == f"Error: no server answers at {url}: start it with `make run`\n"


def test_at_over_http_is_refused_with_what_to_do_instead(tmp_path: Path) -> None:
    result = (
        _app(tmp_path)
        .test_cli_runner()
        .invoke(
            args=["call", "simulate", "--url", "http://127.0.0.1:1", "--at", "2026-12-01 19:59"]
        )
    )
    assert result.exit_code == 2
    assert "without --url" in result.output
    assert "DEBUG=true .venv/bin/flask --app app call simulate --at" in result.output


def test_the_call_goes_to_the_port_of_make_run_from_the_environment(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=6001\n")
    env = local_run.local_environment(dotenv, {"PORT": "5077"})
    command = local_run.call_command(env, ["--press", "6"])
    assert command[-4:] == ["--url", "http://127.0.0.1:5077", "--press", "6"]
    assert env["PUBLIC_BASE_URL"] == "http://127.0.0.1:5077"


def test_the_call_goes_to_the_port_of_make_run_from_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=6001\n")
    env = local_run.local_environment(dotenv, {})
    assert local_run.call_command(env, [])[-2:] == ["--url", "http://127.0.0.1:6001"]
    assert env["TWILIO_AUTH_TOKEN"] == local_run.LOCAL_TOKEN


def test_the_banner_suggests_at_only_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    local_run._banner(settings.load({}, {"REDIS_URL": "redis://x"}), "5000", "up")
    out = capsys.readouterr().out
    make_call_lines = [line for line in out.splitlines() if "make call" in line]
    assert make_call_lines
    assert all("--at" not in line for line in make_call_lines)
    assert "DEBUG=true .venv/bin/flask --app app call simulate --at" in out
