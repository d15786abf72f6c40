"""Supervisors' dashboard: calls, outcomes, promises kept and times to first response, as charts
(Chart.js, vendored under static/vendor) with the same figures in a table folded under each; the
calls per hour of the week as a heat map; presets for the usual periods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import format_date, get_locale
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


def _axis_day(day: date) -> str:
    """Day and month in words on the axes: "10/11/2026" is October to some, November to others."""
    return str(format_date(day, "d MMM y" if str(get_locale()) == "fr" else "MMM d, y"))


def charts(board: stats.Dashboard) -> dict[str, dict[str, Any]]:
    """What each canvas draws: Chart.js's type, labels and datasets (its data-chart JSON)."""
    days = [_axis_day(day) for day, _n in board.per_day]
    weeks = [_axis_day(week) for week in board.weeks]
    lines = [line.value for line in Line]
    return {
        "per_day": {
            "type": "bar",
            "labels": days,
            "datasets": [_dataset(_("Inbound calls"), [n for _d, n in board.per_day])],
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


HEAT_LEVELS = 5  # shades of the heat map, beside "none"


def heat(per_hour: list[list[int]]) -> list[list[int]]:
    """Each hour of the week's shade: 0 for no call, then 1 to HEAT_LEVELS by its share of the
    busiest hour (its class in console.css; the count is written in the cell too)."""
    busiest = max((n for day in per_hour for n in day), default=0)
    return [[0 if not n else 1 + (HEAT_LEVELS - 1) * n // busiest for n in day] for day in per_hour]


@dataclass(frozen=True)
class Preset:
    name: str
    first: date
    last: date


def presets(today: date) -> list[Preset]:
    """The usual periods, ending today (Montreal), or yesterday."""
    yesterday = today - timedelta(days=1)
    return [
        Preset(_("Yesterday"), yesterday, yesterday),
        Preset(_("Last 7 days"), today - timedelta(days=6), today),
        Preset(_("This month"), today.replace(day=1), today),
        Preset(_("Last 12 months"), today - timedelta(days=stats.MAX_DAYS - 1), today),
    ]


@bp.get("/")
@allow(SUPERVISORS)
def index() -> ResponseReturnValue:
    context = helpdesk()
    zone, now = context.hours.timezone, helpdesk().now()
    today = now.astimezone(zone).date()
    period = stats.read_period(request.args, today)
    with context.transaction() as session:
        board = stats.dashboard(session, period, zone, now)
        satisfaction = surveys.by_month(session, zone)
    return render_template(
        "dashboard.html",
        board=board,
        satisfaction=satisfaction,
        charts=charts(board),
        weekdays=weekdays(),
        heat=heat(board.per_hour),
        presets=presets(today),
        unreadable=stats.unreadable(request.args),
        shortened=stats.shortened(request.args, period),
        lines=[line.value for line in Line],
        buckets=[name for _bound, name in stats.RESPONSE_BUCKETS],
    )
