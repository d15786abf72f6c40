"""The SLA clock gives the deadlines a person computes by hand from the policy (Montreal time)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from routing import config, sla
from routing.calendar import CalendarError, Closure, Override

MONTREAL = ZoneInfo("America/Toronto")
HOURS = config.load()


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MONTREAL)


def due(line: str, opened: datetime, **calendar_extras: object) -> datetime:
    rule = HOURS.line(line)
    calendar = HOURS.calendar(rule.schedule, **calendar_extras)  # type: ignore[arg-type]
    return sla.deadline(calendar, opened, rule.callback_within).astimezone(MONTREAL)


# -- the examples of the issue -----------------------------------------------------------------


def test_regular_friday_afternoon_is_due_monday_across_the_spring_change() -> None:
    assert due("regular", at(2027, 3, 12, 16)) == at(2027, 3, 15, 11, 30)


def test_urgent_friday_evening_is_due_monday_at_7_30() -> None:
    assert due("urgent", at(2026, 11, 27, 19, 30)) == at(2026, 11, 30, 7, 30)


def test_regular_on_the_eve_of_the_fete_nationale_skips_june_24() -> None:
    assert due("regular", at(2026, 6, 23, 15)) == at(2026, 6, 25, 10, 30)


def test_a_budget_that_runs_out_at_closing_ends_at_closing() -> None:
    assert due("regular", at(2026, 11, 30, 12, 30)) == at(2026, 11, 30, 16, 30)
    assert due("regular", at(2026, 11, 30, 13)) == at(2026, 11, 30, 17)


# -- further cases, 2026 to 2030 -------------------------------------------------------------


def test_a_saturday_message_is_due_monday_at_12_30() -> None:
    assert due("regular", at(2026, 11, 28, 10)) == at(2026, 11, 30, 12, 30)


def test_a_clock_started_before_opening_starts_at_opening() -> None:
    assert due("urgent", at(2026, 12, 1, 5, 45)) == at(2026, 12, 1, 8)


def test_an_urgent_call_at_19_59_is_due_the_next_morning_at_7_59() -> None:
    assert due("urgent", at(2026, 12, 1, 19, 59)) == at(2026, 12, 2, 7, 59)


def test_good_friday_and_the_weekend_are_skipped() -> None:
    # Thursday April 2, 2026, 16:00; Good Friday is April 3.
    assert due("regular", at(2026, 4, 2, 16)) == at(2026, 4, 6, 11, 30)


def test_easter_monday_is_worked_when_the_company_closes_on_good_friday() -> None:
    assert due("urgent", at(2026, 4, 6, 7)) == at(2026, 4, 6, 8)


def test_christmas_on_saturday_closes_the_monday_after() -> None:
    # Friday December 24, 2027 at 16:30: Saturday 25, Sunday, Monday 27 (observed) are closed.
    assert due("regular", at(2027, 12, 24, 16, 30)) == at(2027, 12, 28, 12)


def test_new_year_on_saturday_closes_monday_january_3() -> None:
    assert due("urgent", at(2027, 12, 31, 19, 30)) == at(2028, 1, 4, 7, 30)


def test_fete_nationale_on_a_sunday_moves_to_monday() -> None:
    # June 24, 2029 is a Sunday: Monday June 25 is the holiday.
    assert due("regular", at(2029, 6, 22, 16)) == at(2029, 6, 26, 11, 30)


def test_canada_day_on_a_sunday_moves_to_monday() -> None:
    assert due("urgent", at(2029, 6, 29, 19, 30)) == at(2029, 7, 3, 7, 30)


def test_patriots_day_labour_day_and_thanksgiving_are_closed() -> None:
    assert due("regular", at(2028, 5, 19, 16)) == at(2028, 5, 23, 11, 30)
    assert due("regular", at(2030, 8, 30, 16)) == at(2030, 9, 3, 11, 30)
    assert due("regular", at(2026, 10, 9, 16)) == at(2026, 10, 13, 11, 30)


def test_the_fall_change_gives_monday_its_ordinary_hours() -> None:
    # Daylight saving time ends Sunday November 7, 2027.
    assert due("regular", at(2027, 11, 5, 15)) == at(2027, 11, 8, 10, 30)


def test_a_budget_of_hours_on_a_day_of_23_hours_counts_business_time_only() -> None:
    calendar = HOURS.calendar("cata")
    spring = sla.deadline(calendar, at(2030, 3, 8, 19), timedelta(hours=3))
    assert spring.astimezone(MONTREAL) == at(2030, 3, 11, 9)


def test_a_company_closure_from_noon_on_december_24_stops_the_clock() -> None:
    closure = Closure(day=date(2026, 12, 24), start=time(12))
    assert due("regular", at(2026, 12, 24, 10), closures=[closure]) == at(2026, 12, 28, 10, 30)


def test_a_whole_day_closure_is_skipped() -> None:
    closure = Closure(day=date(2026, 12, 2))
    assert due("urgent", at(2026, 12, 1, 19, 30), closures=[closure]) == at(2026, 12, 3, 7, 30)


def test_a_manual_closure_delays_the_deadline_until_it_ends() -> None:
    storm = Override(False, at(2026, 12, 1, 9), at(2026, 12, 1, 13))
    assert due("regular", at(2026, 12, 1, 9), overrides=[storm]) == at(2026, 12, 1, 17)


def test_a_manual_opening_counts_weekend_time() -> None:
    opening = Override(True, at(2026, 11, 28, 9), at(2026, 11, 28, 11))
    assert due("urgent", at(2026, 11, 28, 9, 30), overrides=[opening]) == at(2026, 11, 28, 10, 30)


# -- elapsed business time -------------------------------------------------------------------


def test_elapsed_business_time_skips_the_night() -> None:
    calendar = HOURS.calendar("regular")
    spent = sla.elapsed(calendar, at(2026, 12, 1, 16), at(2026, 12, 2, 9, 30))
    assert spent == timedelta(hours=2)


def test_elapsed_is_zero_when_the_end_is_not_after_the_start() -> None:
    calendar = HOURS.calendar("regular")
    assert sla.elapsed(calendar, at(2026, 12, 2, 9), at(2026, 12, 1, 9)) == timedelta(0)


# -- bad input -------------------------------------------------------------------------------


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(CalendarError, match="naive"):
        sla.deadline(HOURS.calendar("regular"), datetime(2026, 12, 1, 9), timedelta(hours=4))  # noqa: DTZ001


@pytest.mark.parametrize("budget", [timedelta(0), timedelta(minutes=-5)])
def test_a_zero_or_negative_budget_is_refused(budget: timedelta) -> None:
    with pytest.raises(CalendarError, match="must be positive"):
        sla.deadline(HOURS.calendar("regular"), at(2026, 12, 1, 9), budget)


def test_a_schedule_that_never_opens_says_so() -> None:
    from routing.calendar import BusinessCalendar
    from routing.schedules import Schedule

    never = Schedule("never", ((),) * 7)
    calendar = BusinessCalendar(never, MONTREAL, HOURS.holidays)
    with pytest.raises(CalendarError, match="'never' has no open time"):
        sla.deadline(calendar, at(2026, 12, 1, 9), timedelta(hours=1))
