"""``/metrics``: the service in Prometheus' text format, for whoever holds METRICS_TOKEN.

Multiprocess-safe: gunicorn runs several workers, and a scrape reaches one of them. What the
database and Redis know (the outbox, the jobs, the notifications) is read from them at scrape
time, so every worker answers the same. The only in-process measure, the webhooks' latency, is a
histogram that prometheus-client keeps in files of its multiprocess folder when
PROMETHEUS_MULTIPROC_DIR is set (gunicorn.conf.py sets it from METRICS_DIR): a scrape then adds
up every worker's. The spool is this host's own.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from flask.typing import ResponseReturnValue
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from helpdesk.context import Context
from models import (
    DeliveryState,
    Notification,
    NotificationChannel,
    OutboxState,
    OutboxTask,
    utcnow,
)
from queueing import outbox, spool
from web import context as web_context

bp = Blueprint("metrics", __name__)

LATENCY = "metrics_latency"
# Twilio gives up on a webhook after 15 s; the buckets see the fast path and the edge.
BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0)
# A page (an SMS to a technician) that is none of these did not reach its phone.
DELIVERED = (DeliveryState.SENT, DeliveryState.LOGGED)


def install(app: Flask) -> None:
    """Time every request by its route (the rule, never the URL: no ids, bounded labels)."""
    app.extensions[LATENCY] = Histogram(
        "altilogix_request_seconds",
        "Time to answer a request, by route (Twilio's webhooks among them)",
        ["route", "method"],
        buckets=BUCKETS,
        registry=None,  # the app's own, not the process-wide registry
    )
    app.before_request(_start)
    app.after_request(_observe)
    app.register_blueprint(bp)


def _start() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.get("metrics_started")
    if started is not None and request.url_rule is not None:
        histogram: Histogram = current_app.extensions[LATENCY]
        route = request.url_rule.rule
        histogram.labels(route, request.method).observe(time.perf_counter() - started)
    return response


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    context = web_context.current()
    token = context.settings.metrics_token
    if not token:
        abort(404)  # no token set: no metrics, and nothing says there could be
    given = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if not hmac.compare_digest(given.encode(), token.encode()):
        return Response("token required\n", 401, {"WWW-Authenticate": "Bearer"})
    registry = CollectorRegistry()
    if multiprocess_dir() is not None:
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(current_app.extensions[LATENCY])
    registry.register(StateCollector(context))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def multiprocess_dir() -> str | None:
    """prometheus-client's own switch (read by it when it is imported), set by gunicorn.conf.py."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class StateCollector(Collector):
    """What the database and this host's spool say, read at scrape time."""

    def __init__(self, context: Context) -> None:
        self.context = context

    def collect(self) -> Iterator[Metric]:
        with self.context.transaction() as session:
            oldest = outbox.oldest_pending(session)
            tasks = session.execute(
                select(OutboxTask.state, func.count()).group_by(OutboxTask.state)
            ).all()
            notes = [
                (channel, state, count)
                for channel, state, count in session.execute(
                    select(Notification.channel, Notification.state, func.count()).group_by(
                        Notification.channel, Notification.state
                    )
                )
            ]
        lag = max((utcnow() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
        yield _gauge("altilogix_outbox_lag_seconds", "How long the oldest due task has waited", lag)
        by_state = {OutboxState(state): count for state, count in tasks}
        yield _gauge(
            "altilogix_outbox_backlog",
            "Tasks written and not yet handed to RQ",
            by_state.get(OutboxState.PENDING, 0),
        )
        jobs = GaugeMetricFamily("altilogix_jobs", "Outbox tasks by state", labels=["state"])
        for state in OutboxState:
            jobs.add_metric([state.value], by_state.get(state, 0))
        yield jobs
        yield _notifications(notes)
        undelivered = sum(
            count
            for channel, state, count in notes
            if channel == NotificationChannel.SMS and state not in DELIVERED
        )
        yield _gauge("altilogix_pages_undelivered", "Pages (SMS) not delivered yet", undelivered)
        folder = Path(self.context.settings.spool_dir)
        yield _gauge(
            "altilogix_spool_waiting",
            "Webhooks in this host's spool, waiting for the database",
            spool.waiting(folder),
        )
        yield _gauge(
            "altilogix_spool_set_aside",
            "Spooled webhooks that failed again and again",
            spool.set_aside(folder),
        )


def _notifications(rows: Iterable[tuple[NotificationChannel, DeliveryState, int]]) -> Metric:
    family = GaugeMetricFamily(
        "altilogix_notifications", "Notifications by channel and state", labels=["channel", "state"]
    )
    counts = {(NotificationChannel(c), DeliveryState(s)): n for c, s, n in rows}
    for channel in NotificationChannel:
        for state in DeliveryState:
            family.add_metric([channel.value, state.value], counts.get((channel, state), 0))
    return family


def _gauge(name: str, documentation: str, value: float) -> Metric:
    return GaugeMetricFamily(name, documentation, value=value)
