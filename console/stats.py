"""The supervisors' dashboard: its figures, from the same few queries whatever the period.

Calls are counted by the database per UTC hour and outcome (never one row per call); a settled
hour's counts are stored the first time they are needed and read back after (``models.tallies``
says how a change to one of its calls makes it counted again). The
hours are placed in Montreal days and hours of the week here: Montreal's offset from UTC is a
whole number of hours, so a UTC hour is always one Montreal hour. Tickets with a promise are
counted by the database too, by line, week, promise kept or missed, and wait before the first
response.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Date,
    DateTime,
    Select,
    String,
    and_,
    case,
    cast,
    extract,
    func,
    insert,
    literal,
    null,
    select,
    text,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from models import Call, CallDirection, CallHour, CallHourCount, CallOutcome, Line, Ticket, tallies
from models.db import lock_row
from web import inputs

DEFAULT_DAYS = 28
MAX_DAYS = 366

# The outcomes the dashboard shows, and the stored outcomes each counts: a message from
# somebody not authorized is a ticket to verify, apart from the messages that made a promise.
OUTCOME_GROUPS: Mapping[str, tuple[CallOutcome, ...]] = {
    "answered": (CallOutcome.CONNECTED,),
    "message": (CallOutcome.MESSAGE,),
    "unauthorized": (CallOutcome.UNAUTHORIZED,),
    "after_hours": (CallOutcome.AFTER_HOURS,),
    "abandoned": (CallOutcome.ABANDONED,),
}
OTHER = "other"  # still in progress, or an outcome outside the five
STORED = "*"  # marks the row that says how many hours were read stored (no outcome's value)
STORING_ATTEMPTS = 3

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

    def mondays(self) -> list[date]:
        """The Mondays of the weeks the period touches."""
        first = self.first - timedelta(days=self.first.weekday())
        return [first + timedelta(weeks=n) for n in range((self.last - first).days // 7 + 1)]


def read_period(args: Mapping[str, str], today: date) -> Period:
    """The period asked for (``from``, ``to``), the last 4 weeks by default, a year at most."""
    last = _day(args.get("to"), today)
    first = _day(args.get("from"), last - timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        first, last = last, first
    return Period(max(first, last - timedelta(days=MAX_DAYS - 1)), last)


def _day(raw: str | None, default: date) -> date:
    return inputs.day(raw or "") or default  # year 9999 too: the default period


def unreadable(args: Mapping[str, str]) -> list[str]:
    """The period's fields given but not read as days (the page says they were ignored)."""
    return [name for name in ("from", "to") if args.get(name) and inputs.day(args[name]) is None]


def shortened(args: Mapping[str, str], period: Period) -> bool:
    """Whether the period asked for was longer than a year, and so cut to its last year."""
    asked = [inputs.day(args.get(name) or "") for name in ("from", "to")]
    return any(day is not None and day < period.first for day in asked)


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


@dataclass
class CallTally:
    """Inbound calls counted three ways: per Montreal day, per hour of the week, per outcome."""

    days: Counter[date] = field(default_factory=Counter)
    week: list[list[int]] = field(default_factory=lambda: [[0] * 24 for _ in range(7)])
    outcomes: Counter[CallOutcome | None] = field(default_factory=Counter)
    # how many hours were read from their stored counts (not a figure: not compared)
    stored_hours: int = field(default=0, compare=False)


def _inbound(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(
        Call.direction == CallDirection.INBOUND, Call.started_at >= start, Call.started_at < end
    )


def call_counts(
    session: Session, start: datetime, end: datetime, zone: ZoneInfo, now: datetime
) -> CallTally:
    """Query 1: inbound calls per day, hour of the week and outcome: the settled hours from
    their stored counts (counted and stored first if they are not yet), the others live."""
    settled = min(end, max(start, tallies.settled_before(now)))
    for _attempt in range(STORING_ATTEMPTS):
        store_hours(session, start, settled)
        tally = _counted(session, start, settled, end, zone)
        # An hour forgotten between storing and reading (a late change to one of its calls):
        # the read saw fewer stored hours than there are, in its own snapshot. Store it again.
        if tally.stored_hours == _hours_between(start, settled):
            return tally
    return _counted(session, start, start, end, zone)  # all live: right, and slower


def _counted(
    session: Session, start: datetime, settled: datetime, end: datetime, zone: ZoneInfo
) -> CallTally:
    if session.get_bind().dialect.name == "postgresql":
        return _counted_by_postgresql(session, start, settled, end, zone)
    tally = _counted_by_hour(session, settled, end, zone)
    return _stored_by_hour(session, start, settled, zone, tally)


def _hours_between(start: datetime, end: datetime) -> int:
    return (end.astimezone(UTC) - start.astimezone(UTC)) // tallies.HOUR


def _epoch_hour(column: Any) -> ColumnElement[float]:
    # Hours since 1970, UTC: date_part's double is far cheaper than extract's numeric.
    return func.floor(func.date_part("epoch", column) / 3600)


def _counted_by_postgresql(
    session: Session, start: datetime, settled: datetime, end: datetime, zone: ZoneInfo
) -> CallTally:
    """PostgreSQL counts the live calls per UTC hour (cheap arithmetic on every call), adds the
    stored hours, then counts them by outcome, and places each hour in its Montreal day and
    hour of the week (grouping sets), in one statement: a few hundred rows for a year."""
    inbound = (
        select(_epoch_hour(Call.started_at).label("h"), Call.outcome)
        .where(_inbound(settled, end))
        .subquery()
    )
    live = select(inbound.c.h, inbound.c.outcome, func.count().label("n")).group_by(
        inbound.c.h, inbound.c.outcome
    )
    stored = select(
        _epoch_hour(CallHourCount.hour), CallHourCount.outcome, CallHourCount.calls
    ).where(CallHourCount.hour >= start, CallHourCount.hour < settled)
    per_hour = live.union_all(stored).cte("per_hour")
    # Each hour placed once (not once per outcome): its Montreal day and hour of the week.
    hours = (
        select(per_hour.c.h, func.sum(per_hour.c.n).label("n")).group_by(per_hour.c.h).subquery()
    )
    local = func.timezone(zone.key, func.to_timestamp(hours.c.h * 3600))
    each = select(
        cast(local, Date).label("day"),
        (extract("isodow", local) - 1).label("weekday"),
        extract("hour", local).label("hour"),
        hours.c.n,
    ).subquery()
    placed = select(
        each.c.day, each.c.weekday, each.c.hour, type_coerce(null(), String), func.sum(each.c.n)
    ).group_by(func.grouping_sets(tuple_(each.c.day), tuple_(each.c.weekday, each.c.hour)))
    # "" for no outcome: NULL there means "a row of the days or hours"
    outcome = type_coerce(func.coalesce(per_hour.c.outcome, ""), String)
    ended = select(null(), null(), null(), outcome, func.sum(per_hour.c.n)).group_by(outcome)
    marked = _stored_hours(start, settled, 3)
    tally = CallTally()
    rows: Any = session.execute(union_all(placed, ended, marked))
    for day, weekday, hour, ending, summed in rows:
        count = int(summed)  # a sum of counts is a numeric
        if ending == STORED:
            tally.stored_hours = count
        elif day is not None:
            tally.days[day] += count
        elif weekday is not None:
            tally.week[int(weekday)][int(hour)] += count
        else:
            tally.outcomes[CallOutcome(ending) if ending else None] += count
    return tally


def _counted_by_hour(session: Session, start: datetime, end: datetime, zone: ZoneInfo) -> CallTally:
    """Elsewhere (SQLite, the tests'), per UTC hour and outcome, placed in Montreal days and
    hours of the week here: Montreal's offset from UTC is a whole number of hours."""
    hour = _hour_bucket(session, Call.started_at).label("hour")
    rows = session.execute(
        select(hour, Call.outcome, func.count())
        .where(_inbound(start, end))
        .group_by(hour, Call.outcome)
    )
    tally = CallTally()
    for label, outcome, count in rows:
        _place(tally, _utc_hour(label), outcome, count, zone)
    return tally


def _stored_by_hour(
    session: Session, start: datetime, end: datetime, zone: ZoneInfo, tally: CallTally
) -> CallTally:
    counts = select(CallHourCount.hour, CallHourCount.outcome, CallHourCount.calls).where(
        CallHourCount.hour >= start, CallHourCount.hour < end
    )
    rows = session.execute(counts.union_all(_stored_hours(start, end, 1)))
    for hour, outcome, count in rows:
        if outcome == STORED:
            tally.stored_hours = count
        else:
            _place(tally, hour, CallOutcome(outcome) if outcome else None, count, zone)
    return tally


def _stored_hours(start: datetime, end: datetime, empty_columns: int) -> Select[Any]:
    """How many hours of [start, end) are stored, as a row (``STORED``, count) after empty
    columns, for the statement that reads their counts: both from one snapshot."""
    in_range = and_(CallHour.hour >= start, CallHour.hour < end)
    empty: list[Any] = [null()] * empty_columns
    counted: Select[Any] = select(*empty, literal(STORED), func.count())
    return counted.select_from(CallHour).where(in_range)


def _place(
    tally: CallTally, hour: datetime, outcome: CallOutcome | None, count: int, zone: ZoneInfo
) -> None:
    local = hour.astimezone(zone)
    tally.days[local.date()] += count
    tally.week[local.weekday()][local.hour] += count
    tally.outcomes[outcome] += count


def _epoch_to_hour(hours: float) -> datetime:
    return datetime.fromtimestamp(hours * 3600, UTC)


def _per_hour(
    session: Session, start: datetime, end: datetime
) -> list[tuple[datetime, CallOutcome | None, int]]:
    """Inbound calls per UTC hour and outcome (PostgreSQL: by cheap arithmetic on each call)."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    bucket: ColumnElement[Any] = (
        _epoch_hour(Call.started_at) if postgresql else _hour_bucket(session, Call.started_at)
    )
    read: Callable[[Any], datetime] = _epoch_to_hour if postgresql else _utc_hour
    rows = session.execute(
        select(bucket.label("hour"), Call.outcome, func.count())
        .where(_inbound(start, end))
        .group_by(bucket, Call.outcome)
    )
    return [(read(hour), outcome, count) for hour, outcome, count in rows]


def store_hours(session: Session, start: datetime, end: datetime) -> None:
    """Count and store the hours of [start, end) (whole, settled UTC hours) not stored yet.

    The table is locked first (on SQLite, the database's write lock): a flush that changes a
    call of one of these hours waits to forget it until the counts are stored, so counts read
    before that change are forgotten, not kept."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)  # hours of time, not of a wall clock
    hours = [start + n * tallies.HOUR for n in range((end - start) // tallies.HOUR)]
    in_range = and_(CallHour.hour >= start, CallHour.hour < end)
    if session.scalar(select(func.count()).where(in_range)) == len(hours):
        return  # the usual case: one cheap statement
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE call_hour IN SHARE ROW EXCLUSIVE MODE"))
    else:
        lock_row(session, CallHour, CallHour.hour == start)
    stored = set(session.scalars(select(CallHour.hour).where(in_range)))
    missing = [hour for hour in hours if hour not in stored]
    if not missing:
        return
    wanted = set(missing)
    counts = [
        {"hour": hour, "outcome": outcome.value if outcome else tallies.NO_OUTCOME, "calls": n}
        for hour, outcome, n in _per_hour(session, missing[0], missing[-1] + tallies.HOUR)
        if hour in wanted
    ]
    session.execute(insert(CallHour), [{"hour": hour} for hour in missing])
    if counts:
        session.execute(insert(CallHourCount), counts)


def _group(outcome: CallOutcome | None) -> str:
    for name, members in OUTCOME_GROUPS.items():
        if outcome in members:
            return name
    return OTHER


def _calls(
    period: Period, tally: CallTally
) -> tuple[list[tuple[date, int]], list[list[int]], dict[str, int]]:
    outcomes = dict.fromkeys([*OUTCOME_GROUPS, OTHER], 0)
    for outcome, count in tally.outcomes.items():
        outcomes[_group(outcome)] += count
    return [(day, tally.days[day]) for day in period.days()], tally.week, outcomes


def _week(
    session: Session, column: Any, zone: ZoneInfo, mondays: list[date]
) -> tuple[Any, Callable[[Any], date]]:
    """The Montreal week of a moment as SQL, and how to read it back as its Monday: PostgreSQL
    finds it among the weeks' first instants (width_bucket, no time zone per row); SQLite
    counts by UTC hour, placed in its Montreal week here."""
    if session.get_bind().dialect.name == "postgresql":
        starts = [datetime.combine(monday, time(0), tzinfo=zone) for monday in mondays]
        thresholds = literal(starts, ARRAY(DateTime(timezone=True)))
        return func.width_bucket(column, thresholds), lambda i: mondays[max(i, 1) - 1]
    return _hour_bucket(session, column), lambda text: _monday(_utc_hour(text), zone)


def _waited_under(session: Session, bound: timedelta) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":
        return Ticket.first_response_at - Ticket.created_at < bound
    seconds = (func.julianday(Ticket.first_response_at) - func.julianday(Ticket.created_at)) * 86400
    return seconds < bound.total_seconds()


def _verdict(now: datetime) -> ColumnElement[str]:
    """Kept (reached by the deadline), missed (reached later, or not yet and the deadline past),
    or pending (not reached yet, the deadline ahead)."""
    return case(
        (and_(Ticket.first_response_at.is_(None), Ticket.sla_due_at > now), "pending"),
        (Ticket.first_response_at <= Ticket.sla_due_at, "kept"),
        else_="missed",
    )


def _bucket(session: Session) -> ColumnElement[int | None]:
    """The RESPONSE_BUCKETS index of a reached ticket's wait (None: not reached)."""
    bounded = [
        (_waited_under(session, bound), index)
        for index, (bound, _label) in enumerate(RESPONSE_BUCKETS)
        if bound is not None
    ]
    return case(
        (Ticket.first_response_at.is_(None), None), *bounded, else_=len(RESPONSE_BUCKETS) - 1
    )


# Tickets counted by line, week, verdict and wait: (line, Monday, verdict, bucket, count).
TicketCounts = list[tuple[Line, date, str, int | None, int]]


def promised_tickets(
    session: Session, period: Period, zone: ZoneInfo, now: datetime
) -> TicketCounts:
    """Query 2: tickets opened in the period with a callback promise, counted by the database
    (a few hundred rows for a year, whatever the number of tickets)."""
    start, end = period.bounds(zone)
    week, monday = _week(session, Ticket.created_at, zone, period.mondays())
    each = (
        select(
            Ticket.priority.label("line"),
            week.label("week"),
            _verdict(now).label("verdict"),
            _bucket(session).label("bucket"),
        )
        .where(
            Ticket.created_at >= start,
            Ticket.created_at < end,
            Ticket.sla_due_at.is_not(None),
            Ticket.to_verify.is_(False),
        )
        .subquery()
    )
    keys = (each.c.line, each.c.week, each.c.verdict, each.c.bucket)
    rows = session.execute(select(*keys, func.count()).group_by(*keys)).all()
    return [(line, monday(w), v, b, n) for line, w, v, b, n in rows]


def _monday(moment: datetime, zone: ZoneInfo) -> date:
    day = moment.astimezone(zone).date()
    return day - timedelta(days=day.weekday())


def _tickets(
    period: Period, counts: TicketCounts
) -> tuple[list[date], dict[str, list[Promises]], dict[str, list[int]]]:
    weeks = period.mondays()
    tally: dict[tuple[str, date], Counter[str]] = {}
    responses = {line.value: [0] * len(RESPONSE_BUCKETS) for line in Line}
    for line, monday, verdict, bucket, count in counts:
        tally.setdefault((line.value, monday), Counter())[verdict] += count
        if bucket is not None:
            responses[line.value][bucket] += count
    promises = {
        line.value: [Promises(**tally.get((line.value, week), Counter())) for week in weeks]
        for line in Line
    }
    return weeks, promises, responses


def dashboard(session: Session, period: Period, zone: ZoneInfo, now: datetime) -> Dashboard:
    """Every figure of the dashboard, in the same few queries whatever the period."""
    start, end = period.bounds(zone)
    per_day, per_hour, outcomes = _calls(period, call_counts(session, start, end, zone, now))
    counts = promised_tickets(session, period, zone, now)
    weeks, promises, responses = _tickets(period, counts)
    return Dashboard(period, per_day, per_hour, outcomes, weeks, promises, responses)
