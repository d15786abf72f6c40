"""``make run``: the whole product on one machine, for a developer or a demo.

Upgrades the database, loads the demo directory into an empty one, makes sure Redis answers
(starting a private one under instance/ when it can), then runs the web server and the worker
under honcho until Ctrl-C, which stops them all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

from honcho.manager import Manager
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

import settings

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
DEMO_DIRECTORY = ROOT / "examples" / "directory.toml"
BIN = Path(sys.executable).parent
# Signs the simulated calls of `make call`; a real Twilio account has its own token.
LOCAL_TOKEN = "local-development-only"


def main() -> int:
    env = dict(os.environ)
    port = env.get("PORT", "5000")
    env.setdefault("DEBUG", "true")  # a local run needs no production secrets
    env.setdefault("TWILIO_AUTH_TOKEN", LOCAL_TOKEN)
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    config = settings.load(env)
    flask = [str(BIN / "flask"), "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], check=True, env=env, cwd=ROOT)
    subprocess.run(
        [*flask, "directory", "load-if-empty", str(DEMO_DIRECTORY)], check=True, env=env, cwd=ROOT
    )
    manager = Manager()
    manager.add_process(
        "web",
        f"{BIN / 'gunicorn'} --bind 127.0.0.1:{port} --workers 2 --access-logfile - "
        "'app:create_app()'",
        env=env,
        cwd=str(ROOT),
    )
    redis_state = _redis(config.redis_url, manager, env)
    if redis_state != "missing":
        manager.add_process("worker", f"{sys.executable} worker.py", env=env, cwd=str(ROOT))
    _banner(config, port, redis_state)
    manager.loop()
    return manager.returncode or 0


def _redis(url: str, manager: Manager, env: dict[str, str]) -> str:
    """'up' when REDIS_URL answers, 'private' when we start one, 'missing' when we cannot."""
    try:
        Redis.from_url(url, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)).ping()
        return "up"
    except Exception:
        pass
    server = shutil.which("redis-server")
    target = urlparse(url)
    if server is None or target.hostname not in {"127.0.0.1", "localhost", "::1"}:
        return "missing"
    INSTANCE.mkdir(exist_ok=True)
    manager.add_process(
        "redis",
        f"{server} --bind 127.0.0.1 --port {target.port or 6379} --dir {INSTANCE} "
        "--save '' --appendonly no",
        env=env,
    )
    return "private"


def _banner(config: settings.Settings, port: str, redis_state: str) -> None:
    base = (config.public_base_url or "https://<your public https host>").rstrip("/")
    lines = [
        "",
        f"AltiLogix support line: http://127.0.0.1:{port}/  (health: /healthz)",
        "Point the Twilio numbers at:",
        f"  voice webhook:    POST {base}/voice/incoming",
        f"  status callback:  POST {base}/voice/status",
        f"  fallback URL:     POST {base}/voice/fallback",
        "Place a simulated call (another terminal): make call ARGS='--press 6'",
        "  (--press 7 --tech accept: the CATA; --from anonymous; --at '2026-12-01 19:59'; "
        "--interactive)",
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
    lines.append("Ctrl-C stops everything.\n")
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
