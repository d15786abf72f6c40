"""``/healthz``: can the phone line take calls, and is the back office keeping up?"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import text

from helpdesk import business_time
from models import utcnow
from queueing import heartbeat, outbox
from routing.config import BusinessHours
from routing.duty import Unstaffed
from web.database import db_session

bp = Blueprint("health", __name__)

# A worker whose relay has not beaten for this long is taken for stuck (it beats every round).
WORKER_STALE_SECONDS = 30
# The RQ scheduler beats every second; silent this long, it is dead and timed tasks wait.
SCHEDULER_STALE_SECONDS = 30
# The relay moves the outbox every OUTBOX_RELAY_SECONDS (2 s): a task still waiting after this
# long means no relay is moving it (no worker, a database or Redis fault, a task it cannot queue).
OUTBOX_LATE_SECONDS = 120

# The parts that must be well for a 200, in the order the JSON's "failing" names them.
CHECKS = ("database", "redis", "worker", "scheduler", "outbox")


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    report: dict[str, Any] = {"database": _database(), "redis": _redis()}
    if report["database"]["ok"]:
        report["outbox"] = _outbox()
        report["lines"] = _lines()
    unknown = {"ok": False, "last_heartbeat": None, "error": "redis"}
    report["worker"] = _worker() if report["redis"]["ok"] else unknown
    report["scheduler"] = _scheduler() if report["redis"]["ok"] else unknown
    report["failing"] = [name for name in CHECKS if not report.get(name, {}).get("ok", True)]
    # The phone line answers as long as the database does ("degraded" then: notifications and
    # timed tasks wait in the outbox); a monitor still gets a 503 for any failing part.
    report["can_take_calls"] = report["database"]["ok"]
    if not report["failing"]:
        report["status"] = "ok"
    else:
        report["status"] = "degraded" if report["can_take_calls"] else "down"
    return jsonify(report), 503 if report["failing"] else 200


def _database() -> dict[str, Any]:
    try:
        db_session().execute(text("SELECT 1"))
        return {"ok": True}
    except Exception as error:
        return {"ok": False, "error": type(error).__name__}


def _outbox() -> dict[str, Any]:
    """How many tasks wait for the relay, and whether the oldest waits longer than it should."""
    try:
        session = db_session()
        backlog = outbox.backlog(session)
        oldest = outbox.oldest_pending(session)
    except Exception as error:
        return {"ok": False, "error": type(error).__name__}
    waited = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
    return {
        "ok": waited <= OUTBOX_LATE_SECONDS,
        "backlog": backlog,
        "oldest_pending_seconds": round(waited, 1),
        "late_after_seconds": OUTBOX_LATE_SECONDS,
    }


def _lines() -> dict[str, Any]:
    """Whether each line has somebody to ring and notify now (counts only: no names here)."""
    hours: BusinessHours = current_app.extensions["business_hours"]
    report = {}
    for line, rule in hours.lines.items():
        try:
            count = len(business_time.on_duty(db_session(), hours, line, utcnow()))
        except Unstaffed:
            count = 0
        report[line] = {"staffed": count > 0, "on_duty": count, "needed": rule.notify}
    return report


def _redis_client() -> Redis:
    client: Redis | None = current_app.extensions.get("health_redis")
    if client is None:
        # A health check answers fast: no retries, no backoff.
        client = Redis.from_url(
            current_app.config["REDIS_URL"],
            socket_timeout=0.5,
            socket_connect_timeout=0.5,
            retry=Retry(NoBackoff(), 0),
        )
        current_app.extensions["health_redis"] = client
    return client


def _redis() -> dict[str, Any]:
    try:
        _redis_client().ping()
        return {"ok": True}
    except Exception as error:
        return {"ok": False, "error": type(error).__name__}


def _worker() -> dict[str, Any]:
    return _beats(heartbeat.last_beats, WORKER_STALE_SECONDS, "workers")


def _scheduler() -> dict[str, Any]:
    return _beats(heartbeat.last_scheduler_beats, SCHEDULER_STALE_SECONDS, "schedulers")


def _beats(read: Callable[[Redis], list[datetime]], stale: float, count: str) -> dict[str, Any]:
    """Alive when the latest of these heartbeats is younger than ``stale`` seconds."""
    try:
        beats = read(_redis_client())
    except Exception as error:
        return {"ok": False, "last_heartbeat": None, "error": type(error).__name__}
    if not beats:
        return {"ok": False, "last_heartbeat": None, count: 0}
    last = max(beats)
    age = (utcnow() - last).total_seconds()
    return {
        "ok": age < stale,
        "last_heartbeat": last.isoformat(),
        "age_seconds": round(age, 1),
        count: len(beats),
    }
