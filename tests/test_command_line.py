"""``flask --app app …`` on a production host: every command is listed without the web server's
secrets, and each command asks only for the settings it uses, in one line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = [str(Path(sys.executable).parent / "flask"), "--app", "app"]


def _flask(
    tmp_path: Path, *args: str, stdin: bytes = b"", **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TWILIO_", "SECRET_", "PUBLIC_", "SUPPORT_", "MAIL_", "MAIN_"))
    }
    environ.update(
        DEBUG="false",
        TESTING="false",
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.db'}",
        SPOOL_DIR=str(tmp_path / "spool"),
        **env,
    )
    return subprocess.run(
        [*FLASK, *args],
        cwd=ROOT,
        env=environ,
        input=stdin.decode(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_command_is_listed_without_the_production_secrets(tmp_path: Path) -> None:
    listed = _flask(tmp_path, "--help")
    assert listed.returncode == 0, listed.stderr
    for command in ("call", "db", "directory", "email", "hours", "spool", "staff"):
        assert f"  {command} " in listed.stdout
    assert "Traceback" not in listed.stderr


def test_a_migration_needs_no_twilio_token(tmp_path: Path) -> None:
    upgraded = _flask(tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "Traceback" not in upgraded.stderr


def test_the_mail_door_names_the_settings_it_lacks_in_one_line(tmp_path: Path) -> None:
    _flask(tmp_path, "db", "upgrade")
    refused = _flask(tmp_path, "email", "ingest", stdin=b"From: a@b.example\n\nhi\n")
    assert refused.returncode == 2
    assert "missing setting(s) outside debug and testing: SUPPORT_EMAIL_REGULAR, " in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_value_that_cannot_be_read_is_named_in_one_line(tmp_path: Path) -> None:
    refused = _flask(tmp_path, "db", "current", PORT="five thousand")
    assert refused.returncode != 0
    assert "PORT: expected a whole number, got 'five thousand'" in refused.stderr
    assert "Traceback" not in refused.stderr
