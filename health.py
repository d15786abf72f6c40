"""``/healthz``: can the phone line take calls, and is the back office keeping up? Beside it,
for a load balancer and a process manager: ``/livez`` (the process answers) and ``/readyz``
(this host can take calls: its database answers and its spool can be written).

200 when every part is well; 503 when any is not, with "failing" naming which. The phone line
answers as long as the database does ("degraded" then: notifications and timed tasks wait);
"can_take_calls" says so. Counts only: no names or numbers here.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from helpdesk import business_time
from helpdesk.context import Context
from models import DeliveryState, Notification, utcnow
from queueing import heartbeat, outbox, spool
from routing.duty import Unstaffed
from web import context as web_context

bp = Blueprint("health", __name__)

# A worker whose relay has not beaten for this long is taken for stuck (it beats every round).
WORKER_STALE_SECONDS = 30
# The relay moves the outbox every OUTBOX_RELAY_SECONDS (2 s): a task due and still waiting after
# this long means no relay is moving it (no worker, a database or Redis fault).
OUTBOX_LATE_SECONDS = 120
# A notification claimed for sending this long ago and never recorded sent: its worker died
# between the two, and whether it left is unknown (it is never sent twice).
SENDING_UNSURE_AFTER = timedelta(minutes=10)

# The parts that must be well for a 200, in the order "failing" names them.
CHECKS = ("database", "redis", "worker", "outbox")


@bp.get("/livez")
def livez() -> ResponseReturnValue:
    """The process answers: nothing else is asked (a restart would cure nothing more)."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """This host can take calls: 200 while the database answers and the spool (where a webhook
    goes when the database does not) can be written. A dead worker does not make it unready:
    the calls are still taken, the work waits in the outbox."""
    context = web_context.current()
    report: dict[str, Any] = {"database": {"ok": True}, "spool": {"ok": True}}
    try:
        with context.transaction() as session:
            session.execute(text("SELECT 1"))
    except Exception as error:
        report["database"] = {"ok": False, "error": type(error).__name__}
    if not spool.writable(Path(context.settings.spool_dir)):
        report["spool"] = {"ok": False}
    ready = all(part["ok"] for part in report.values())
    report["status"] = "ready" if ready else "unready"
    return jsonify(report), 200 if ready else 503


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    context = web_context.current()
    report: dict[str, Any] = {"redis": _redis(context)}
    installation = None
    try:
        with context.transaction() as session:
            session.execute(text("SELECT 1"))
            report["database"] = {"ok": True}
            installation = outbox.installation_key(session)
            report["outbox"] = _outbox(session, context)
            report["lines"] = _lines(session, context)
    except Exception as error:
        report["database"] = {"ok": False, "error": type(error).__name__}
    if not report["redis"]["ok"] or installation is None:
        cause = "redis" if not report["redis"]["ok"] else "database"
        report["worker"] = {"ok": False, "last_heartbeat": None, "error": cause}
    else:  # the heartbeats of this database's workers, not another deployment's
        report["worker"] = _beats(context, installation, WORKER_STALE_SECONDS)
    report["failing"] = [name for name in CHECKS if not report.get(name, {}).get("ok", True)]
    report["can_take_calls"] = report["database"]["ok"]
    if not report["failing"]:
        report["status"] = "ok"
    else:
        report["status"] = "degraded" if report["can_take_calls"] else "down"
    return jsonify(report), 503 if report["failing"] else 200


def _outbox(session: Session, context: Context) -> dict[str, Any]:
    """Tasks waiting for the relay, whether the oldest due waits too long, what failed for good,
    and what waits in this host's spool."""
    oldest = outbox.oldest_pending(session)
    waited = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
    folder = Path(context.settings.spool_dir)
    return {
        "ok": waited <= OUTBOX_LATE_SECONDS,
        "backlog": outbox.backlog(session),
        "oldest_due_seconds": round(max(waited, 0.0), 1),
        "late_after_seconds": OUTBOX_LATE_SECONDS,
        "failed_for_good": outbox.failed(session),
        "notifications_unsure": _unsure_notifications(session),
        # Messages not sent: held answers wait for a supervisor, refused ones need a person.
        "notifications_held": _count_state(session, DeliveryState.HELD),
        "notifications_refused": _count_state(session, DeliveryState.REFUSED),
        "notifications_failing": _count_state(session, DeliveryState.FAILED),
        "spool_waiting": spool.pending(folder),
        "spool_set_aside": spool.set_aside(folder),
    }


def _unsure_notifications(session: Session) -> int:
    count = session.scalar(
        select(func.count(Notification.id)).where(
            Notification.state == DeliveryState.SENDING,
            Notification.created_at < utcnow() - SENDING_UNSURE_AFTER,
        )
    )
    return count or 0


def _count_state(session: Session, state: DeliveryState) -> int:
    count = session.scalar(select(func.count(Notification.id)).where(Notification.state == state))
    return count or 0


def _lines(session: Session, context: Context) -> dict[str, Any]:
    """Whether each line has somebody to ring and page now, on a mobile."""
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


def _redis_client(context: Context) -> Redis:
    client: Redis | None = current_app.extensions.get("health_redis")
    if client is None:
        # A health check answers fast: no retries, no backoff.
        client = Redis.from_url(
            context.settings.redis_url,
            socket_timeout=0.5,
            socket_connect_timeout=0.5,
            retry=Retry(NoBackoff(), 0),
        )
        current_app.extensions["health_redis"] = client
    return client


def _redis(context: Context) -> dict[str, Any]:
    try:
        _redis_client(context).ping()
        return {"ok": True}
    except Exception as error:
        return {"ok": False, "error": type(error).__name__}


def _beats(context: Context, installation: str, stale: float) -> dict[str, Any]:
    """Alive when the latest of the workers' heartbeats is younger than ``stale`` seconds."""
    try:
        beats = heartbeat.last_beats(_redis_client(context), installation)
    except Exception as error:
        return {"ok": False, "last_heartbeat": None, "error": type(error).__name__}
    if not beats:
        return {"ok": False, "last_heartbeat": None, "workers": 0}
    last = max(beats)
    age = (utcnow() - last).total_seconds()
    return {
        "ok": age < stale,
        "last_heartbeat": last.isoformat(),
        "age_seconds": round(age, 1),
        "workers": len(beats),
    }
