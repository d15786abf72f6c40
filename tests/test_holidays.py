"""Quebec's statutory holidays, with the choices the law leaves to the company."""

from __future__ import annotations

from datetime import date

import pytest

from routing.holidays_qc import NAMES, EasterChoice, HolidayPolicy, QuebecHolidays

DEFAULT = QuebecHolidays()


def days(holidays: QuebecHolidays, year: int) -> list[tuple[str, str]]:
    return [(h.day.isoformat(), h.code) for h in holidays.in_year(year)]


def test_the_2026_holidays_are_quebecs() -> None:
    assert days(DEFAULT, 2026) == [
        ("2026-01-01", "new_year"),
        ("2026-04-03", "good_friday"),
        ("2026-05-18", "patriots_day"),
        ("2026-06-24", "fete_nationale"),
        ("2026-07-01", "canada_day"),
        ("2026-09-07", "labour_day"),
        ("2026-10-12", "thanksgiving"),
        ("2026-12-25", "christmas"),
    ]


def test_days_quebec_does_not_keep_are_working_days() -> None:
    for worked in (date(2026, 12, 26), date(2026, 11, 11), date(2026, 9, 30), date(2026, 8, 3)):
        assert DEFAULT.on(worked) is None


def test_easter_monday_instead_of_good_friday_when_the_company_chooses() -> None:
    monday = QuebecHolidays(HolidayPolicy(easter=EasterChoice.EASTER_MONDAY))
    assert monday.on(date(2026, 4, 3)) is None
    assert monday.on(date(2026, 4, 6)) is not None


def test_both_easter_days_when_the_company_chooses() -> None:
    both = QuebecHolidays(HolidayPolicy(easter=EasterChoice.BOTH))
    assert both.on(date(2027, 3, 26)) is not None and both.on(date(2027, 3, 29)) is not None


def test_christmas_on_a_saturday_closes_the_monday_after_by_default() -> None:
    observed = DEFAULT.on(date(2027, 12, 27))
    assert observed is not None and (observed.code, observed.observed) == ("christmas", True)


def test_new_year_on_a_saturday_closes_monday_january_3() -> None:
    assert DEFAULT.on(date(2028, 1, 3)) is not None


def test_the_monday_after_is_worked_when_the_company_says_so() -> None:
    open_monday = QuebecHolidays(HolidayPolicy(monday_after_weekend_new_year_and_christmas=False))
    assert open_monday.on(date(2027, 12, 27)) is None
    assert open_monday.on(date(2028, 1, 3)) is None


def test_june_24_and_july_1_on_a_sunday_move_to_monday_by_law() -> None:
    law_only = QuebecHolidays(HolidayPolicy(monday_after_weekend_new_year_and_christmas=False))
    assert law_only.on(date(2029, 6, 25)) is not None
    assert law_only.on(date(2029, 7, 2)) is not None


def test_june_24_on_a_saturday_does_not_move() -> None:
    assert DEFAULT.on(date(2028, 6, 26)) is None


@pytest.mark.parametrize("year", range(2026, 2031))
def test_every_year_has_its_eight_holidays(year: int) -> None:
    codes = {h.code for h in DEFAULT.in_year(year)}
    assert codes == {
        "new_year",
        "good_friday",
        "patriots_day",
        "fete_nationale",
        "canada_day",
        "labour_day",
        "thanksgiving",
        "christmas",
    }


@pytest.mark.parametrize("year", range(2026, 2031))
def test_every_holiday_has_a_known_code(year: int) -> None:
    assert "statutory" not in {h.code for h in DEFAULT.in_year(year)}


def test_every_name_exists_in_french_and_english() -> None:
    assert all(set(names) == {"fr", "en"} and all(names.values()) for names in NAMES.values())
