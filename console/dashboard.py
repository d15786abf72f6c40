"""Supervisors' dashboard: calls, outcomes, promises kept and times to first response, as charts
(Chart.js, vendored under static/vendor) with the same figures in a table under each."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import gettext as _

from console import stats
from console.access import SUPERVISORS, allow, helpdesk, refuse_unmarked
from console.filters import label
from helpdesk import surveys
from models import Line

bp = Blueprint("dashboard", __name__, url_prefix="/console/dashboard")
bp.before_request(refuse_unmarked)

A_MONDAY = date(2024, 1, 1)


def weekdays() -> list[str]:
    return [str(format_date(A_MONDAY + timedelta(days=n), "EEEE")) for n in range(7)]


def _dataset(name: str, data: list[Any]) -> dict[str, Any]:
    return {"label": name, "data": data}


def charts(board: stats.Dashboard) -> dict[str, dict[str, Any]]:
    """What each canvas draws: Chart.js's type, labels and datasets (its data-chart JSON)."""
    days = [str(format_date(day, "short")) for day in (d for d, _n in board.per_day)]
    weeks = [str(format_date(week, "short")) for week in board.weeks]
    lines = [line.value for line in Line]
    return {
        "per_day": {
            "type": "bar",
            "labels": days,
            "datasets": [_dataset(_("Inbound calls"), [n for _d, n in board.per_day])],
        },
        "per_hour": {
            "type": "bar",
            "labels": [f"{hour} h" for hour in range(24)],
            "datasets": [_dataset(d, board.per_hour[i]) for i, d in enumerate(weekdays())],
        },
        "outcomes": {
            "type": "doughnut",
            "labels": [label(name) for name in board.outcomes],
            "datasets": [_dataset(_("Inbound calls"), list(board.outcomes.values()))],
        },
        "promises": {
            "type": "line",
            "percent": True,
            "labels": weeks,
            "datasets": [
                _dataset(label(line), [p.percent_kept for p in board.promises[line]])
                for line in lines
            ],
        },
        "responses": {
            "type": "bar",
            "labels": [name for _bound, name in stats.RESPONSE_BUCKETS],
            "datasets": [_dataset(label(line), board.responses[line]) for line in lines],
        },
    }


@bp.get("/")
@allow(SUPERVISORS)
def index() -> ResponseReturnValue:
    context = helpdesk()
    zone, now = context.hours.timezone, helpdesk().now()
    period = stats.read_period(request.args, now.astimezone(zone).date())
    with context.transaction() as session:
        board = stats.dashboard(session, period, zone, now)
        satisfaction = surveys.by_month(session, zone)
    return render_template(
        "dashboard.html",
        board=board,
        satisfaction=satisfaction,
        charts=charts(board),
        weekdays=weekdays(),
        lines=[line.value for line in Line],
        buckets=[name for _bound, name in stats.RESPONSE_BUCKETS],
    )
