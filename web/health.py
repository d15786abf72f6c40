"""``/healthz``: can the phone line take calls, and is the back office keeping up?"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import text
from sqlalchemy.orm import Session

from helpdesk import business_time
from helpdesk.context import Context
from models import utcnow
from queueing import heartbeat, outbox
from routing.duty import Unstaffed

bp = Blueprint("health", __name__)

# A worker whose relay has not beaten for this long is taken for stuck (it beats every round).
WORKER_STALE_SECONDS = 30


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    context: Context = current_app.extensions["helpdesk"]
    report: dict[str, Any] = {"redis": _redis()}
    try:
        with context.transaction() as session:
            report["database"] = _database(session)
            report["lines"] = _lines(session, context)
    except Exception as error:
        report["database"] = {"ok": False, "error": type(error).__name__}
    report["worker"] = _worker() if report["redis"]["ok"] else {"ok": False, "last_heartbeat": None}
    # The phone line answers as long as the database does; Redis and the worker only delay
    # notifications, which wait in the outbox meanwhile.
    can_take_calls = report["database"]["ok"]
    report["status"] = "ok" if can_take_calls else "down"
    return jsonify(report), 200 if can_take_calls else 503


def _database(session: Session) -> dict[str, Any]:
    session.execute(text("SELECT 1"))
    return {"ok": True, "outbox_backlog": outbox.backlog(session)}


def _lines(session: Session, context: Context) -> dict[str, Any]:
    """Whether each line has somebody to ring and page now, on a mobile (counts only)."""
    hours = context.hours
    report = {}
    for line, rule in hours.lines.items():
        try:
            people = business_time.on_duty(session, hours, line, utcnow())
        except Unstaffed:
            people = []
        reachable = sum(1 for person in people if person.mobile)
        report[line] = {
            "staffed": reachable > 0,  # somebody the line can ring and page
            "on_duty": len(people),
            "reachable": reachable,
            "unreachable": len(people) - reachable,
            "needed": rule.notify,
        }
    return report


def _redis_client() -> Redis:
    client: Redis | None = current_app.extensions.get("health_redis")
    if client is None:
        # A health check answers fast: no retries, no backoff.
        client = Redis.from_url(
            current_app.extensions["helpdesk"].settings.redis_url,
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
    try:
        beats = heartbeat.last_beats(_redis_client())
    except Exception as error:
        return {"ok": False, "last_heartbeat": None, "error": type(error).__name__}
    if not beats:
        return {"ok": False, "last_heartbeat": None, "workers": 0}
    last = max(beats)
    age = (utcnow() - last).total_seconds()
    return {
        "ok": age < WORKER_STALE_SECONDS,
        "last_heartbeat": last.isoformat(),
        "age_seconds": round(age, 1),
        "workers": len(beats),
    }
