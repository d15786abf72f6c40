"""``make run``: the whole product on one machine, for a developer or a demo; and its helpers
``make call``, ``make mail`` and ``make sms``, which talk to it.

``make run`` upgrades the database, loads the demo directory into an empty one, makes sure Redis
answers (starting a private one under instance/ when it can), then runs a local mail sink, the
web server and the worker under a supervisor until Ctrl-C, which stops them in the reverse
order. Every command here reads .env the same way, so they agree on the port and the secrets.
"""

from __future__ import annotations

import email
import email.policy
import os
import secrets
import shutil
import socket
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import urlparse

from dotenv import dotenv_values
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

import settings
from cli.supervisor import Program, Supervisor

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
DEMO_DIRECTORY = ROOT / "examples" / "directory.toml"
MAIL_FOLDER = INSTANCE / "mail"
BIN = Path(sys.executable).parent
FLASK = [str(BIN / "flask"), "--app", "app"]
# gunicorn reads its settings (bind, workers, timeouts, logs) from gunicorn.conf.py in ROOT.
WEB = [str(BIN / "gunicorn"), "app:create_app()"]
# The local mail sink listens this far above the web server's port (5025 for 5000).
MAIL_SINK_OFFSET = 25
# Development secrets, made once and kept: sessions survive a restart of make run.
KEPT_SECRETS = {"SECRET_KEY": "secret_key", "INBOUND_EMAIL_SECRET": "inbound_email_secret"}


@dataclass(frozen=True)
class Local:
    """What every process of a run sees, and why it runs in the mode it does."""

    env: dict[str, str]
    mode: str  # one line: development or production, and why
    sink_port: int | None  # the local mail sink's, when make run starts one


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        local = local_environment(ROOT / ".env", os.environ)
        config = settings.load(local.env)
    except settings.ConfigError as error:
        print(f"make: {error}", file=sys.stderr)
        return 1
    helpers = {"call": call, "mail": mail, "sms": sms}
    if args[:1] and args[0] in helpers:
        return helpers[args[0]](local, config, args[1:])
    try:
        settings.check_production(config)
    except settings.ConfigError as error:
        print(f"make run: {error}", file=sys.stderr)
        print(f"make run: {local.mode}", file=sys.stderr)
        return 1
    taken = [port for port in _ports(local) if not _free(port)]
    if taken:
        print(
            f"make run: port {taken[0]} is taken (another make run?): stop it, or set PORT",
            file=sys.stderr,
        )
        return 1
    return run(local, config)


def local_environment(dotenv: Path, environ: Mapping[str, str]) -> Local:
    """The environment, then .env, then the local defaults: what every process of a run sees.

    A developer's machine (DEBUG=true, unless .env or the environment says otherwise) gets
    development secrets kept under instance/, the local address as the public one, and the
    local mail sink as its SMTP server; production mode gets none of these."""
    from_file = {name: value for name, value in dotenv_values(dotenv).items() if value is not None}
    env = {**from_file, **environ}
    port = env.setdefault("PORT", "5000")
    env["PYTHONUNBUFFERED"] = "1"  # the output of every process shows up as it is written
    if "DEBUG" in environ:
        why = "DEBUG is set in the environment"
    elif "DEBUG" in from_file:
        why = f"DEBUG is set in {dotenv.name}"
    else:
        env["DEBUG"] = "true"
        why = "make run's default; DEBUG=false in .env runs production mode"
    if not _is_true(env["DEBUG"]):
        return Local(env, f"production mode ({why}): the production checks apply", None)
    for name, file_name in KEPT_SECRETS.items():
        env[name] = env.get(name) or _kept_secret(INSTANCE / file_name)
    env["PUBLIC_BASE_URL"] = env.get("PUBLIC_BASE_URL") or f"http://127.0.0.1:{port}"
    sink_port = None
    if not env.get("SMTP_URL"):
        sink_port = int(port) + MAIL_SINK_OFFSET
        env["SMTP_URL"] = f"smtp://127.0.0.1:{sink_port}"
    return Local(env, f"development mode ({why})", sink_port)


def _is_true(raw: str) -> bool:
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _kept_secret(path: Path) -> str:
    """The secret kept in ``path``, made on first use (readable by its owner only)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as kept:
            kept.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip()


def _ports(local: Local) -> list[int]:
    return [int(local.env["PORT"]), *([local.sink_port] if local.sink_port else [])]


def _free(port: int) -> bool:
    """Whether a server can listen on the port; else it would fail, be restarted, and fail."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def run(local: Local, config: settings.Settings) -> int:
    from cli import local_setup  # the app's code: loaded only when make run starts for real

    os.chdir(ROOT)
    for line in local_setup.prepare(config, DEMO_DIRECTORY):
        print(line, flush=True)
    redis_state, programs = plan(local, config.redis_url)
    _banner(local, config, redis_state)
    return Supervisor(programs).run()


def plan(local: Local, redis_url: str) -> tuple[str, list[Program]]:
    """The state of Redis, and the processes to run, in the order they start: Redis (when it
    is ours), the mail sink (when it is ours), the web server, the worker."""
    env = local.env
    redis_state, redis = _redis(redis_url)
    programs = []
    if redis is not None:
        programs.append(Program("redis", redis, env, ROOT))
    if local.sink_port is not None:
        sink = [sys.executable, "-m", "cli.mail_sink", "--port", str(local.sink_port)]
        programs.append(Program("mail", [*sink, "--folder", str(MAIL_FOLDER)], env, ROOT))
    programs.append(Program("web", WEB, env, ROOT))
    if redis_state != "missing":
        programs.append(Program("worker", [sys.executable, "worker.py"], env, ROOT))
    return redis_state, programs


def _redis(url: str) -> tuple[str, list[str] | None]:
    """'up' when REDIS_URL answers, 'private' (with its command) when we start one, 'missing'
    when we cannot."""
    try:
        client = Redis.from_url(url, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
        with client:
            client.ping()
        return "up", None
    except Exception:
        pass
    server = shutil.which("redis-server")
    target = urlparse(url)
    if server is None or target.hostname not in {"127.0.0.1", "localhost", "::1"}:
        return "missing", None
    INSTANCE.mkdir(exist_ok=True)
    port = str(target.port or 6379)
    return "private", [
        *(server, "--bind", "127.0.0.1", "--port", port, "--dir", str(INSTANCE)),
        *("--save", "", "--appendonly", "no"),
    ]


def _console_lines(config: settings.Settings, port: str) -> list[str]:
    """How to sign in to the staff console; the demo password only on a developer's machine."""
    from helpdesk.staff_access import DEMO_PASSWORD

    url = f"Staff console: http://127.0.0.1:{port}/console/"
    if not config.development:
        return [url, "  sign in: flask --app app staff set-password EMAIL gives a first password"]
    return [
        url,
        f"  demo sign-in (DEBUG only): helene@altilogix.example (supervisor) or "
        f"luc@altilogix.example (technician), password {DEMO_PASSWORD}",
    ]


def _mail_lines(local: Local, config: settings.Settings, port: str) -> list[str]:
    lines = []
    if local.sink_port is not None:
        lines.append(
            "Email sent by the app: kept by the local mail sink in instance/mail/ and shown "
            "below (mail | …)"
        )
    lines.append("Email to support, through the MTA pipe: make mail (or MAIL=examples/mail/….eml)")
    if config.inbound_email_secret:
        lines += [
            "  or the HTTP door:",
            f"  curl -sS -H 'Authorization: Bearer {config.inbound_email_secret}' "
            f"--data-binary @examples/mail/regular-request.eml "
            f"http://127.0.0.1:{port}/email/inbound",
        ]
    return lines


def _banner(local: Local, config: settings.Settings, redis_state: str) -> None:
    port = local.env["PORT"]
    base = (config.public_base_url or "https://<your public https host>").rstrip("/")
    lines = [
        "",
        f"AltiLogix support line: http://127.0.0.1:{port}/  (health: /healthz)",
        f"Mode: {local.mode}",
        *_console_lines(config, port),
        "Point the Twilio numbers at:",
        f"  voice webhook:    POST {base}/voice/incoming",
        f"  status callback:  POST {base}/voice/status",
        f"  fallback URL:     POST {base}/voice/fallback",
        f"  SMS webhook:      POST {base}/sms/incoming",
        "Try it (another terminal):",
        "  a call:       make call ARGS='--press 6'   (--press 7 --tech accept: the CATA; "
        "--interactive)",
        "  at a moment:  make call ARGS='--at 2026-12-01T19:59 --press 6'",
        "  a pager SMS:  make sms ARGS='OK 1001'   (a technician takes ticket 1001)",
        *_mail_lines(local, config, port),
    ]
    if redis_state == "private":
        lines.append(
            f"Redis: nothing answered at {config.redis_url}; started a private one under instance/."
        )
    if redis_state == "missing":
        lines += [
            f"Redis: nothing answers at {config.redis_url} and redis-server is not installed.",
            "  THE WORKER IS NOT RUNNING: notifications wait in the database outbox until it is.",
            "  Install Redis (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew "
            "install redis), then run make run again.",
        ]
    if not config.office_number:
        lines.append(
            "Reception: OFFICE_NUMBER is not set, so option 0 sends callers to the voicemail "
            "(set it in .env to ring the office)."
        )
    lines.append("A process that dies is restarted; Ctrl-C stops everything.\n")
    print("\n".join(lines), flush=True)


def call(local: Local, _config: settings.Settings, args: list[str]) -> int:
    """``make call``: the simulator, against the server ``make run`` started."""
    command = call_command(local, args)
    os.chdir(ROOT)
    os.execve(command[0], command, local.env)


def call_command(local: Local, args: Sequence[str]) -> list[str]:
    """The simulator's command: over HTTP to ``make run``'s port; with ``--at``, in-process on
    the same database (the server's clock cannot be moved from outside)."""
    if any(arg == "--at" or arg.startswith("--at=") for arg in args):
        return [*FLASK, "call", "simulate", *args]
    return [*FLASK, "call", "simulate", "--url", f"http://127.0.0.1:{local.env['PORT']}", *args]


def mail(local: Local, _config: settings.Settings, args: list[str]) -> int:
    """``make mail``: one message, piped into the MTA door as a mail server would, with a fresh
    Message-ID and date, as a message just written would have (the intake keeps each
    Message-ID once)."""
    path = Path(args[0] if args else "examples/mail/regular-request.eml")
    if not path.is_absolute():
        path = Path.cwd() / path if (Path.cwd() / path).is_file() else ROOT / path
    if not path.is_file():
        print(f"make mail: no such file: {path}", file=sys.stderr)
        return 1
    message = tempfile.TemporaryFile()  # noqa: SIM115 (it becomes the command's stdin)
    message.write(as_new(path.read_bytes()))
    message.seek(0)
    os.dup2(message.fileno(), sys.stdin.fileno())
    command = [*FLASK, "email", "ingest"]
    os.chdir(ROOT)
    os.execve(command[0], command, local.env)


def as_new(raw: bytes) -> bytes:
    """The message with a new Message-ID and Date; everything else as it was."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    del message["Message-ID"], message["Date"]
    message["Message-ID"] = make_msgid(domain="make-mail.example")
    message["Date"] = formatdate(localtime=True)
    return message.as_bytes()


def sms(local: Local, config: settings.Settings, args: list[str]) -> int:
    """``make sms ARGS='OK 1001'``: a technician's SMS to the support number, signed as Twilio
    signs it, posted to the running server; its answer is printed."""
    from tools.sms import DEMO_TECHNICIAN, send

    sender = DEMO_TECHNICIAN
    if args[:1] == ["--from"] and len(args) > 1:
        sender, args = args[1], args[2:]
    if not args:
        print("make sms: say what the SMS says, e.g. make sms ARGS='OK 1001'", file=sys.stderr)
        return 2
    url = f"http://127.0.0.1:{local.env['PORT']}/sms/incoming"
    try:
        status, answer = send(url, config, sender, " ".join(args))
    except OSError as error:
        print(f"make sms: no server answers at {url} ({error}): start it with make run")
        return 1
    print(f"SMS from {sender}: {' '.join(args)!r}\nHTTP {status}; the answer: {answer}")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
