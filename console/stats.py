"""The supervisors' dashboard: its figures, from two queries whatever the period.

Calls are counted by the database per UTC hour and outcome (never one row per call), and the
hours are placed in Montreal days and hours of the week here: Montreal's offset from UTC is a
whole number of hours, so a UTC hour is always one Montreal hour. Tickets with a promise come
one row each (there are far fewer tickets than calls), reduced here to promises kept per week
and line, and times to first response.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from models import Call, CallDirection, CallOutcome, Line, Ticket
from web import inputs

DEFAULT_DAYS = 28
MAX_DAYS = 366

# The four outcomes the dashboard shows, and the stored outcomes each counts.
OUTCOME_GROUPS: Mapping[str, tuple[CallOutcome, ...]] = {
    "answered": (CallOutcome.CONNECTED,),
    "message": (CallOutcome.MESSAGE, CallOutcome.UNAUTHORIZED),
    "after_hours": (CallOutcome.AFTER_HOURS,),
    "abandoned": (CallOutcome.ABANDONED,),
}
OTHER = "other"  # still in progress, or an outcome outside the four

# Time to first response, in buckets: (upper bound, label); the last bucket has no bound.
RESPONSE_BUCKETS: tuple[tuple[timedelta | None, str], ...] = (
    (timedelta(minutes=15), "< 15 min"),
    (timedelta(minutes=30), "15-30 min"),
    (timedelta(hours=1), "30-60 min"),
    (timedelta(hours=2), "1-2 h"),
    (timedelta(hours=4), "2-4 h"),
    (timedelta(hours=8), "4-8 h"),
    (None, "≥ 8 h"),
)


@dataclass(frozen=True)
class Period:
    first: date  # Montreal days, both included
    last: date

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        start = datetime.combine(self.first, time(0), tzinfo=zone)
        end = datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=zone)
        return start, end

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def read_period(args: Mapping[str, str], today: date) -> Period:
    """The period asked for (``from``, ``to``), the last 4 weeks by default, a year at most."""
    last = _day(args.get("to"), today)
    first = _day(args.get("from"), last - timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        first, last = last, first
    return Period(max(first, last - timedelta(days=MAX_DAYS - 1)), last)


def _day(raw: str | None, default: date) -> date:
    return inputs.day(raw or "") or default  # year 9999 too: the default period


@dataclass(frozen=True)
class Promises:
    kept: int = 0
    missed: int = 0
    pending: int = 0  # not reached yet, deadline still ahead

    @property
    def percent_kept(self) -> int | None:
        decided = self.kept + self.missed
        return round(100 * self.kept / decided) if decided else None


@dataclass(frozen=True)
class Dashboard:
    period: Period
    per_day: list[tuple[date, int]]
    per_hour: list[list[int]]  # [weekday 0=Monday][hour 0..23]
    outcomes: dict[str, int]
    weeks: list[date]  # Mondays
    promises: dict[str, list[Promises]]  # line → one per week
    responses: dict[str, list[int]]  # line → count per RESPONSE_BUCKETS


def _hour_bucket(session: Session, column: Any) -> ColumnElement[str]:
    """The UTC hour of a moment as text 'YYYY-MM-DD HH', on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")
    return func.substr(column, 1, 13)  # SQLite keeps UTC text, 'YYYY-MM-DD HH:MM:SS…'


def _utc_hour(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=UTC)


def call_counts(
    session: Session, start: datetime, end: datetime
) -> list[tuple[datetime, CallOutcome | None, int]]:
    """Query 1: inbound calls per UTC hour and outcome."""
    hour = _hour_bucket(session, Call.started_at).label("hour")
    rows = session.execute(
        select(hour, Call.outcome, func.count())
        .where(
            Call.direction == CallDirection.INBOUND,
            Call.started_at >= start,
            Call.started_at < end,
        )
        .group_by(hour, Call.outcome)
    ).all()
    return [(_utc_hour(h), outcome, count) for h, outcome, count in rows]


def _group(outcome: CallOutcome | None) -> str:
    for name, members in OUTCOME_GROUPS.items():
        if outcome in members:
            return name
    return OTHER


def _calls(
    period: Period, zone: ZoneInfo, counts: Iterable[tuple[datetime, CallOutcome | None, int]]
) -> tuple[list[tuple[date, int]], list[list[int]], dict[str, int]]:
    days: Counter[date] = Counter()
    week = [[0] * 24 for _ in range(7)]
    outcomes = dict.fromkeys([*OUTCOME_GROUPS, OTHER], 0)
    for moment, outcome, count in counts:
        local = moment.astimezone(zone)
        days[local.date()] += count
        week[local.weekday()][local.hour] += count
        outcomes[_group(outcome)] += count
    return [(day, days[day]) for day in period.days()], week, outcomes


def promised_tickets(
    session: Session, start: datetime, end: datetime
) -> list[tuple[Line, datetime, datetime, datetime | None]]:
    """Query 2: tickets opened in the period with a callback promise."""
    rows = session.execute(
        select(Ticket.priority, Ticket.created_at, Ticket.sla_due_at, Ticket.first_response_at)
        .where(
            Ticket.created_at >= start,
            Ticket.created_at < end,
            Ticket.sla_due_at.is_not(None),
            Ticket.to_verify.is_(False),
        )
        .order_by(Ticket.created_at)
    ).all()
    return [(line, opened, due, reached) for line, opened, due, reached in rows if due is not None]


def _monday(moment: datetime, zone: ZoneInfo) -> date:
    day = moment.astimezone(zone).date()
    return day - timedelta(days=day.weekday())


def _verdict(due: datetime, reached: datetime | None, now: datetime) -> str:
    if reached is not None:
        return "kept" if reached <= due else "missed"
    return "missed" if now >= due else "pending"


def _bucket(waited: timedelta) -> int:
    for index, (bound, _label) in enumerate(RESPONSE_BUCKETS):
        if bound is None or waited < bound:
            return index
    return len(RESPONSE_BUCKETS) - 1


def _tickets(
    period: Period,
    zone: ZoneInfo,
    now: datetime,
    rows: Iterable[tuple[Line, datetime, datetime, datetime | None]],
) -> tuple[list[date], dict[str, list[Promises]], dict[str, list[int]]]:
    first_monday = period.first - timedelta(days=period.first.weekday())
    weeks = [
        first_monday + timedelta(weeks=n) for n in range((period.last - first_monday).days // 7 + 1)
    ]
    tally: dict[tuple[str, date], Counter[str]] = {}
    responses = {line.value: [0] * len(RESPONSE_BUCKETS) for line in Line}
    for line, opened, due, reached in rows:
        key = (line.value, _monday(opened, zone))
        tally.setdefault(key, Counter())[_verdict(due, reached, now)] += 1
        if reached is not None:
            responses[line.value][_bucket(reached - opened)] += 1
    promises = {
        line.value: [Promises(**tally.get((line.value, week), Counter())) for week in weeks]
        for line in Line
    }
    return weeks, promises, responses


def dashboard(session: Session, period: Period, zone: ZoneInfo, now: datetime) -> Dashboard:
    """Every figure of the dashboard, in two queries."""
    start, end = period.bounds(zone)
    per_day, per_hour, outcomes = _calls(period, zone, call_counts(session, start, end))
    weeks, promises, responses = _tickets(period, zone, now, promised_tickets(session, start, end))
    return Dashboard(period, per_day, per_hour, outcomes, weeks, promises, responses)
