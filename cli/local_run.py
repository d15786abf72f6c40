"""``make run``: the whole product on one machine, for a developer or a demo; ``make call``.

``make run`` upgrades the database, loads the demo directory into an empty one, makes sure Redis
answers (starting a private one under instance/ when it can), then runs the web server and the
worker under a supervisor until Ctrl-C, which stops them all. ``make call`` places a simulated
call against that server. Both read .env the same way, so they agree on the port and the token.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlparse

from dotenv import dotenv_values
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

import settings
from cli.supervisor import Program, Supervisor
from helpdesk.staff_access import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
DEMO_DIRECTORY = ROOT / "examples" / "directory.toml"
BIN = Path(sys.executable).parent
FLASK = [str(BIN / "flask"), "--app", "app"]
# Signs the simulated calls of `make call`; a real Twilio account has its own token.
LOCAL_TOKEN = "local-development-only"
# Twilio gives up on a webhook after 15 s: a stuck request is killed well before.
WEB = [str(BIN / "gunicorn"), "--workers", "2", "--timeout", "10", "--graceful-timeout", "5"]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    env = local_environment(ROOT / ".env", os.environ)
    if args[:1] == ["call"]:
        command = call_command(env, args[1:])
        os.chdir(ROOT)
        os.execve(command[0], command, env)
    try:
        config = settings.load(env)
        settings.check_production(config)
    except settings.ConfigError as error:
        print(f"make run: {error}", file=sys.stderr)
        return 1
    if not _free(int(env["PORT"])):
        print(
            f"make run: port {env['PORT']} is taken (another make run?): stop it, or set PORT",
            file=sys.stderr,
        )
        return 1
    return run(env, config)


def _free(port: int) -> bool:
    """Whether gunicorn can listen on the port; else it would fail, be restarted, and fail."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def local_environment(dotenv: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment, then .env, then the local defaults: what every process of a run sees."""
    from_file = {name: value for name, value in dotenv_values(dotenv).items() if value is not None}
    env = {**from_file, **environ}
    port = env.setdefault("PORT", "5000")
    env.setdefault("DEBUG", "true")  # a local run needs no production secrets
    for name, default in (
        ("TWILIO_AUTH_TOKEN", LOCAL_TOKEN),
        ("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}"),
    ):
        env[name] = env.get(name) or default
    env["PYTHONUNBUFFERED"] = "1"  # the output of every process shows up as it is written
    return env


def call_command(env: Mapping[str, str], args: Sequence[str]) -> list[str]:
    """``make call``: the simulator, against the server ``make run`` starts with this env."""
    return [*FLASK, "call", "simulate", "--url", f"http://127.0.0.1:{env['PORT']}", *args]


def run(env: dict[str, str], config: settings.Settings) -> int:
    subprocess.run([*FLASK, "db", "upgrade"], check=True, env=env, cwd=ROOT)
    subprocess.run(
        [*FLASK, "directory", "load-if-empty", str(DEMO_DIRECTORY)], check=True, env=env, cwd=ROOT
    )
    if config.development:
        # The demo staff can sign in to the console; never outside a developer's machine.
        subprocess.run([*FLASK, "staff", "demo-passwords"], check=True, env=env, cwd=ROOT)
    redis_state, programs = plan(env, config.redis_url)
    _banner(config, env["PORT"], redis_state)
    return Supervisor(programs).run()


def plan(env: Mapping[str, str], redis_url: str) -> tuple[str, list[Program]]:
    """The state of Redis, and the processes to run: Redis first when it is ours."""
    redis_state, redis = _redis(redis_url)
    web = [*WEB, "--bind", f"127.0.0.1:{env['PORT']}", "--access-logfile", "-", "app:create_app()"]
    programs = [Program("web", web, env, ROOT)]
    if redis is not None:
        programs.insert(0, Program("redis", redis, env, ROOT))
    if redis_state != "missing":
        programs.append(Program("worker", [sys.executable, "worker.py"], env, ROOT))
    return redis_state, programs


def _redis(url: str) -> tuple[str, list[str] | None]:
    """'up' when REDIS_URL answers, 'private' (with its command) when we start one, 'missing'
    when we cannot."""
    try:
        Redis.from_url(url, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)).ping()
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
    url = f"Staff console: http://127.0.0.1:{port}/console/"
    if not config.development:
        return [url, "  sign in: flask --app app staff set-password EMAIL gives a first password"]
    return [
        url,
        f"  demo sign-in (DEBUG only): helene@altilogix.example (supervisor) or "
        f"luc@altilogix.example (technician), password {DEMO_PASSWORD}",
    ]


def _banner(config: settings.Settings, port: str, redis_state: str) -> None:
    base = (config.public_base_url or "https://<your public https host>").rstrip("/")
    lines = [
        "",
        f"AltiLogix support line: http://127.0.0.1:{port}/  (health: /healthz)",
        *_console_lines(config, port),
        "Point the Twilio numbers at:",
        f"  voice webhook:    POST {base}/voice/incoming",
        f"  status callback:  POST {base}/voice/status",
        f"  fallback URL:     POST {base}/voice/fallback",
        "Place a simulated call (another terminal): make call ARGS='--press 6'",
        "  (--press 7 --tech accept: the CATA; --from anonymous; --interactive)",
        "  at another time, in-process on the same database: DEBUG=true .venv/bin/flask --app app "
        "call simulate --at '2026-12-01 19:59' --press 6",
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
    lines.append("A process that dies is restarted; Ctrl-C stops everything.\n")
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
