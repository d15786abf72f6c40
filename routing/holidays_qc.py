"""Quebec's statutory holidays, from the ``holidays`` package, with the company's choices.

The package gives the dates; this module gives each a stable code, the two names callers hear,
and applies what the package does not decide for us:

- Good Friday or Easter Monday: the employer chooses (Loi sur les normes du travail, art. 60);
- June 24 and July 1 falling on a Sunday move to the Monday (Loi sur la fête nationale, and the
  Loi sur les normes du travail, art. 60);
- the Monday after a January 1 or December 25 on a weekend: a company choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

import holidays as holidays_package


class EasterChoice(StrEnum):
    GOOD_FRIDAY = "good_friday"
    EASTER_MONDAY = "easter_monday"
    BOTH = "both"


@dataclass(frozen=True)
class HolidayPolicy:
    easter: EasterChoice = EasterChoice.GOOD_FRIDAY
    monday_after_weekend_new_year_and_christmas: bool = True


# The package's English names → our codes. A name not listed still closes the day (code
# "statutory"), so a holiday the package adds one day is never worked through.
PACKAGE_CODES = {
    "New Year's Day": "new_year",
    "Good Friday": "good_friday",
    "Easter Monday": "easter_monday",
    "National Patriots' Day": "patriots_day",
    "Saint John the Baptist Day": "fete_nationale",
    "Canada Day": "canada_day",
    "Labor Day": "labour_day",
    "Thanksgiving Day": "thanksgiving",
    "Christmas Day": "christmas",
}

# What callers hear: "closed today for …".
NAMES = {
    "new_year": {"fr": "le jour de l'An", "en": "New Year's Day"},
    "good_friday": {"fr": "le Vendredi saint", "en": "Good Friday"},
    "easter_monday": {"fr": "le lundi de Pâques", "en": "Easter Monday"},
    "patriots_day": {"fr": "la Journée nationale des patriotes", "en": "National Patriots' Day"},
    "fete_nationale": {"fr": "la Fête nationale du Québec", "en": "Quebec's Fête nationale"},
    "canada_day": {"fr": "la fête du Canada", "en": "Canada Day"},
    "labour_day": {"fr": "la fête du Travail", "en": "Labour Day"},
    "thanksgiving": {"fr": "l'Action de grâce", "en": "Thanksgiving"},
    "christmas": {"fr": "Noël", "en": "Christmas Day"},
    "statutory": {"fr": "un jour férié", "en": "a statutory holiday"},
}

# Moved to the Monday when they fall on a Sunday, by law.
SUNDAY_MOVES_TO_MONDAY = ("fete_nationale", "canada_day")
# Moved to the Monday when they fall on a weekend, by company choice.
WEEKEND_MOVES_TO_MONDAY = ("new_year", "christmas")


@dataclass(frozen=True)
class Holiday:
    code: str
    day: date
    observed: bool = False  # the Monday a weekend holiday moved to

    def name(self, language: str) -> str:
        return NAMES[self.code]["en" if language.startswith("en") else "fr"]


class QuebecHolidays:
    """The holidays the company closes for, by date; each year computed once."""

    def __init__(self, policy: HolidayPolicy | None = None) -> None:
        self.policy = policy or HolidayPolicy()
        self._years: dict[int, dict[date, Holiday]] = {}

    def on(self, day: date) -> Holiday | None:
        return self._year(day.year).get(day)

    def in_year(self, year: int) -> list[Holiday]:
        return sorted(self._year(year).values(), key=lambda holiday: holiday.day)

    def _year(self, year: int) -> dict[date, Holiday]:
        if year not in self._years:
            self._years[year] = self._compute(year)
        return self._years[year]

    def _compute(self, year: int) -> dict[date, Holiday]:
        days: dict[date, Holiday] = {}
        for day, names in self._package_year(year).items():
            for name in names.split("; "):
                code = PACKAGE_CODES.get(name, "statutory")
                if self._closes_for(code):
                    days.setdefault(day, Holiday(code, day))
        for holiday in list(days.values()):
            monday = self._moved_to(holiday)
            if monday is not None:
                days.setdefault(monday, Holiday(holiday.code, monday, observed=True))
        return days

    @staticmethod
    def _package_year(year: int) -> dict[date, str]:
        calendar = holidays_package.country_holidays(
            "CA",
            subdiv="QC",
            years=year,
            observed=False,
            categories=("public", "optional"),
            language="en_US",
        )
        return dict(calendar.items())

    def _closes_for(self, code: str) -> bool:
        easter = self.policy.easter
        if code == "good_friday":
            return easter in (EasterChoice.GOOD_FRIDAY, EasterChoice.BOTH)
        if code == "easter_monday":
            return easter in (EasterChoice.EASTER_MONDAY, EasterChoice.BOTH)
        return True

    def _moved_to(self, holiday: Holiday) -> date | None:
        weekday = holiday.day.weekday()
        if holiday.code in SUNDAY_MOVES_TO_MONDAY and weekday == 6:
            return holiday.day + timedelta(days=1)
        moves = self.policy.monday_after_weekend_new_year_and_christmas
        if moves and holiday.code in WEEKEND_MOVES_TO_MONDAY and weekday >= 5:
            return holiday.day + timedelta(days=7 - weekday)
        return None
