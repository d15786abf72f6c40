"""Open or closed, and why: what the phone line announces from."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from routing import config
from routing.calendar import CalendarError, Closure, Override, Reason

MONTREAL = ZoneInfo("America/Toronto")
HOURS = config.load()


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MONTREAL)


def local(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(MONTREAL)


def test_the_cata_is_open_at_19_59_and_says_when_it_closes() -> None:
    status = HOURS.calendar("cata").status(at(2026, 12, 1, 19, 59))
    assert status.is_open and status.reason is None
    assert local(status.closes_at) == at(2026, 12, 1, 20)


def test_the_cata_is_closed_at_20_00_after_hours_until_7_00() -> None:
    status = HOURS.calendar("cata").status(at(2026, 12, 1, 20))
    assert (status.is_open, status.reason) == (False, Reason.AFTER_HOURS)
    assert local(status.opens_at) == at(2026, 12, 2, 7)


def test_regular_support_before_8_30_is_before_hours() -> None:
    status = HOURS.calendar("regular").status(at(2026, 12, 1, 8, 29))
    assert (status.is_open, status.reason) == (False, Reason.BEFORE_HOURS)
    assert local(status.opens_at) == at(2026, 12, 1, 8, 30)


def test_saturday_is_the_weekend_and_monday_is_the_next_opening() -> None:
    status = HOURS.calendar("regular").status(at(2026, 11, 28, 10))
    assert (status.is_open, status.reason) == (False, Reason.WEEKEND)
    assert local(status.opens_at) == at(2026, 11, 30, 8, 30)


def test_june_24_is_a_holiday_with_its_names() -> None:
    status = HOURS.calendar("cata").status(at(2026, 6, 24, 10))
    assert (status.is_open, status.reason) == (False, Reason.HOLIDAY)
    assert status.holiday is not None
    assert status.holiday.name("fr") == "la Fête nationale du Québec"
    assert status.holiday.name("en") == "Quebec's Fête nationale"
    assert local(status.opens_at) == at(2026, 6, 25, 7)


def test_the_office_keeps_the_hours_of_the_web_page() -> None:
    office = HOURS.calendar("office")
    assert office.status(at(2026, 12, 1, 8)).is_open
    assert not office.status(at(2026, 12, 1, 16, 30)).is_open


def test_a_closure_from_noon_on_december_24_closes_the_afternoon() -> None:
    eve = Closure(date(2026, 12, 24), start=time(12), reason="Veille de Noël")
    calendar = HOURS.calendar("regular", closures=[eve])
    morning = calendar.status(at(2026, 12, 24, 10))
    assert morning.is_open and local(morning.closes_at) == at(2026, 12, 24, 12)
    afternoon = calendar.status(at(2026, 12, 24, 13))
    assert (afternoon.is_open, afternoon.reason, afternoon.closure) == (False, Reason.CLOSURE, eve)
    assert local(afternoon.opens_at) == at(2026, 12, 28, 8, 30)


def test_a_manual_closure_ends_by_itself() -> None:
    storm = Override(False, at(2026, 12, 1, 10), at(2026, 12, 1, 12))
    calendar = HOURS.calendar("regular", overrides=[storm])
    during = calendar.status(at(2026, 12, 1, 11))
    assert (during.is_open, during.reason) == (False, Reason.MANUAL)
    assert local(during.opens_at) == at(2026, 12, 1, 12)
    assert calendar.status(at(2026, 12, 1, 12)).is_open


def test_a_manual_opening_on_a_sunday_is_open_for_a_manual_reason() -> None:
    opening = Override(True, at(2026, 11, 29, 9), at(2026, 11, 29, 12))
    status = HOURS.calendar("cata", overrides=[opening]).status(at(2026, 11, 29, 10))
    assert (status.is_open, status.reason) == (True, Reason.MANUAL)
    assert local(status.closes_at) == at(2026, 11, 29, 12)


def test_an_opening_that_runs_into_the_schedule_closes_with_the_schedule() -> None:
    early = Override(True, at(2026, 12, 1, 6), at(2026, 12, 1, 7, 30))
    status = HOURS.calendar("cata", overrides=[early]).status(at(2026, 12, 1, 6, 30))
    assert status.is_open
    assert local(status.closes_at) == at(2026, 12, 1, 20)


def test_on_the_spring_change_day_the_cata_opens_at_7_daylight_time() -> None:
    status = HOURS.calendar("cata").status(at(2027, 3, 14, 23))  # Sunday of the change
    assert local(status.opens_at) == at(2027, 3, 15, 7)
    assert status.opens_at is not None and status.opens_at.utcoffset() is not None


def test_a_window_starting_in_the_skipped_hour_opens_at_the_change() -> None:
    from routing.calendar import BusinessCalendar
    from routing.schedules import Schedule

    night = Schedule.from_table("night", {"sunday": ["02:30-04:00"]})
    calendar = BusinessCalendar(night, MONTREAL, HOURS.holidays)
    status = calendar.status(at(2027, 3, 14, 1))
    assert local(status.opens_at) == at(2027, 3, 14, 3)  # 2:00 EST became 3:00 EDT


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(CalendarError, match="naive"):
        HOURS.calendar("cata").status(datetime(2026, 12, 1, 10))  # noqa: DTZ001


def test_a_closure_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(CalendarError, match="ends before it starts"):
        HOURS.calendar("cata", closures=[Closure(date(2026, 12, 1), time(14), time(12))])


def test_an_override_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(CalendarError, match="ends before it starts"):
        Override(False, at(2026, 12, 1, 12), at(2026, 12, 1, 10))
