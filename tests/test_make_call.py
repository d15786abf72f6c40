"""``make call``: it reaches ``make run``'s server where that server is, or says plainly why not."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from flask import Flask

import settings
from app import create_app
from cli import local_run, local_setup


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
            "TWILIO_AUTH_TOKEN": "local-development-only",
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
    assert "make call ARGS='--at 2026-12-01T19:59 --press 6'" in result.output


def test_the_call_goes_to_the_port_of_make_run_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cli.local_run.INSTANCE", tmp_path)
    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=6001\n")
    local = local_run.local_environment(dotenv, {"PORT": "5077"})
    command = local_run.call_command(local, ["--press", "6"])
    assert command[-4:] == ["--url", "http://127.0.0.1:5077", "--press", "6"]
    assert local.env["PUBLIC_BASE_URL"] == "http://127.0.0.1:5077"


def test_the_call_goes_to_the_port_of_make_run_from_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cli.local_run.INSTANCE", tmp_path)
    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=6001\n")
    local = local_run.local_environment(dotenv, {})
    assert local_run.call_command(local, [])[-2:] == ["--url", "http://127.0.0.1:6001"]
    assert settings.load(local.env).twilio_auth_token == "local-development-only"


def test_a_call_at_a_moment_is_placed_in_process(tmp_path: Path) -> None:
    local = local_run.Local({"PORT": "5000"}, "development mode (test)", None)
    command = local_run.call_command(local, ["--at", "2026-12-01T19:59", "--press", "6"])
    assert "--url" not in command and command[-4:] == ["--at", "2026-12-01T19:59", "--press", "6"]


def test_the_banner_s_call_at_a_moment_works_as_printed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    local = local_run.Local({"PORT": "5000"}, "development mode (test)", None)
    local_run._banner(local, settings.load({}, {"REDIS_URL": "redis://x"}), "up")
    printed = next(line for line in capsys.readouterr().out.splitlines() if "--at " in line)
    app = _app(tmp_path)
    local_setup.prepare(app.config["SETTINGS"], local_run.DEMO_DIRECTORY)  # as make run does
    command = local_run.call_command(local, printed.split("ARGS='")[1].split("'")[0].split())
    result = app.test_cli_runner().invoke(args=command[3:])
    assert result.exit_code == 0, result.output
    # Marie Tremblay at 19:59 on a Tuesday: regular support closed at 17:00; 4 business hours
    # from Wednesday's 8:30.
    assert "caller hears [fr-CA]: Nous sommes présentement fermés." in result.output
    assert "vous rappellera au plus tard demain à 12 h 30." in result.output
