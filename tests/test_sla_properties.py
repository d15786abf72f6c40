"""The fast SLA clock agrees with the minute-stepping reference, whatever the calendar."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing import sla
from routing.calendar import BusinessCalendar, Closure, Override
from routing.holidays_qc import EasterChoice, HolidayPolicy, QuebecHolidays
from routing.schedules import Schedule, Window
from tests.reference_clock import ReferenceClock

MONTREAL = ZoneInfo("America/Toronto")
HOLIDAYS = {choice: QuebecHolidays(HolidayPolicy(easter=choice)) for choice in EasterChoice}
FIRST = datetime(2026, 1, 1, tzinfo=UTC)
LAST = datetime(2030, 12, 1, tzinfo=UTC)

# Bounds between 4:00 and 24:00 keep clear of the hour daylight saving time moves (2:00-3:00),
# where "wall-clock time" itself has two meanings; the named DST tests cover those days.
minutes_of_day = st.integers(min_value=4 * 60, max_value=24 * 60)


@st.composite
def day_windows(draw: st.DrawFn) -> tuple[Window, ...]:
    bounds = sorted(draw(st.sets(minutes_of_day, max_size=6)))
    pairs = list(zip(bounds[::2], bounds[1::2], strict=False))
    return tuple(Window(start, end) for start, end in pairs if end > start)


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    week = tuple(draw(day_windows()) for _ in range(7))
    if not any(week):
        week = ((Window(9 * 60, 17 * 60),), *week[1:])
    return Schedule("random", week)


instants = st.integers(
    min_value=int(FIRST.timestamp()) // 60, max_value=int(LAST.timestamp()) // 60
).map(lambda minute: datetime.fromtimestamp(minute * 60, UTC))


@st.composite
def closures(draw: st.DrawFn, near: datetime) -> Closure:
    day = near.astimezone(MONTREAL).date() + timedelta(days=draw(st.integers(0, 10)))
    start, end = sorted(draw(st.sets(minutes_of_day, min_size=2, max_size=2)))
    if draw(st.booleans()):
        return Closure(day)
    return Closure(day, _wall_time(start), _wall_time(end))


def _wall_time(minute: int) -> time | None:
    return None if minute >= 24 * 60 else time(minute // 60, minute % 60)


@st.composite
def overrides(draw: st.DrawFn, near: datetime) -> Override:
    starts = near + timedelta(minutes=draw(st.integers(-600, 10 * 24 * 60)))
    length = timedelta(minutes=draw(st.integers(1, 3 * 24 * 60)))
    return Override(draw(st.booleans()), starts, starts + length)


@st.composite
def cases(draw: st.DrawFn) -> tuple[BusinessCalendar, ReferenceClock, datetime]:
    schedule = draw(schedules())
    start = draw(instants)
    holidays = HOLIDAYS[draw(st.sampled_from(list(EasterChoice)))]
    closed_days = draw(st.lists(closures(start), max_size=3))
    manual = draw(st.lists(overrides(start), max_size=2))
    fast = BusinessCalendar(schedule, MONTREAL, holidays, closed_days, manual)
    slow = ReferenceClock(schedule, MONTREAL, holidays, closed_days, manual)
    return fast, slow, start


@st.composite
def budgets(draw: st.DrawFn, calendar: BusinessCalendar) -> timedelta:
    """Up to one business week of the calendar's own schedule."""
    weekly = sum(w.end - w.start for day in calendar.schedule.week for w in day)
    return timedelta(minutes=draw(st.integers(min_value=1, max_value=weekly)))


@st.composite
def cases_with_budget(
    draw: st.DrawFn,
) -> tuple[BusinessCalendar, ReferenceClock, datetime, timedelta]:
    fast, slow, start = draw(cases())
    return fast, slow, start, draw(budgets(fast))


slow_check = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@slow_check
@given(cases_with_budget())
def test_the_deadline_matches_the_minute_stepping_reference(
    case: tuple[BusinessCalendar, ReferenceClock, datetime, timedelta],
) -> None:
    fast, slow, start, budget = case
    assert sla.deadline(fast, start, budget) == slow.deadline(start, budget)


@slow_check
@given(cases(), st.integers(min_value=0, max_value=14 * 24 * 60))
def test_elapsed_business_time_matches_the_reference(
    case: tuple[BusinessCalendar, ReferenceClock, datetime], minutes: int
) -> None:
    fast, slow, start = case
    end = start + timedelta(minutes=minutes)
    assert sla.elapsed(fast, start, end) == slow.elapsed(start, end)


@slow_check
@given(cases())
def test_open_or_closed_matches_the_reference(
    case: tuple[BusinessCalendar, ReferenceClock, datetime],
) -> None:
    fast, slow, start = case
    assert fast.status(start).is_open == slow.is_open(start)


@slow_check
@given(cases_with_budget())
def test_the_elapsed_time_up_to_a_deadline_is_the_budget(
    case: tuple[BusinessCalendar, ReferenceClock, datetime, timedelta],
) -> None:
    fast, _, start, budget = case
    assert sla.elapsed(fast, start, sla.deadline(fast, start, budget)) == budget
