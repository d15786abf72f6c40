"""Business hours as data: schedules, the holiday choices and the lines' promises, from TOML.

The default file ``routing/business_hours.toml`` states the policy; ``BUSINESS_HOURS_FILE``
points at another to change hours without code.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from routing.calendar import BusinessCalendar, Closure, Override
from routing.holidays_qc import EasterChoice, HolidayPolicy, QuebecHolidays
from routing.schedules import Schedule, ScheduleError

DEFAULT_FILE = Path(__file__).with_name("business_hours.toml")
LINES = ("regular", "urgent")


@dataclass(frozen=True)
class LineRule:
    """A line's promise: the schedule it keeps, its callback budget, how many are notified."""

    line: str
    schedule: str
    callback_within: timedelta
    notify: int
    warn_before: timedelta = timedelta(0)  # before the deadline, in business time
    escalate_after: timedelta | None = None  # after opening, in business time
    resolution_aim: timedelta | None = None  # after opening, in hours on the clock


class BusinessHours:
    """Every schedule and line rule of the company, in its time zone."""

    def __init__(
        self,
        timezone: ZoneInfo,
        schedules: dict[str, Schedule],
        holiday_policy: HolidayPolicy,
        lines: dict[str, LineRule],
    ) -> None:
        self.timezone = timezone
        self.schedules = schedules
        self.holidays = QuebecHolidays(holiday_policy)
        self.lines = lines
        for rule in lines.values():
            self.schedule(rule.schedule)

    def warm_up(self, year: int) -> None:
        """Compute this year's and next year's holidays now, not during the first call.

        The holidays package loads its country data on first use (a tenth of a second or more),
        which a caller would otherwise wait through in each new web process.
        """
        for each in (year, year + 1):
            self.holidays.in_year(each)

    def schedule(self, name: str) -> Schedule:
        try:
            return self.schedules[name]
        except KeyError:
            known = ", ".join(sorted(self.schedules))
            raise ScheduleError(f"unknown schedule {name!r} (known: {known})") from None

    def line(self, name: str) -> LineRule:
        try:
            return self.lines[name]
        except KeyError:
            raise ScheduleError(f"unknown line {name!r} (known: {', '.join(LINES)})") from None

    def calendar(
        self, schedule: str, closures: Iterable[Closure] = (), overrides: Iterable[Override] = ()
    ) -> BusinessCalendar:
        return BusinessCalendar(
            self.schedule(schedule), self.timezone, self.holidays, closures, overrides
        )


def load(path: Path | str | None = None, timezone: str = "America/Toronto") -> BusinessHours:
    """Read a business-hours file; raise ScheduleError naming what is wrong."""
    path = Path(path) if path else DEFAULT_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ScheduleError(f"{path}: {error}") from None
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"unknown time zone {timezone!r}") from None
    tables = data.get("schedules", {})
    schedules = {name: Schedule.from_table(name, table) for name, table in tables.items()}
    return BusinessHours(
        zone, schedules, _holiday_policy(data.get("holidays", {})), _lines(data.get("lines", {}))
    )


def _holiday_policy(table: dict[str, Any]) -> HolidayPolicy:
    easter = table.get("easter", EasterChoice.GOOD_FRIDAY.value)
    try:
        choice = EasterChoice(easter)
    except ValueError:
        allowed = ", ".join(c.value for c in EasterChoice)
        raise ScheduleError(f"holidays: easter: {easter!r} (expected one of {allowed})") from None
    monday = table.get("monday_after_weekend_new_year_and_christmas", True)
    if not isinstance(monday, bool):
        raise ScheduleError("holidays: monday_after_weekend_new_year_and_christmas: true or false")
    return HolidayPolicy(easter=choice, monday_after_weekend_new_year_and_christmas=monday)


def _lines(tables: dict[str, Any]) -> dict[str, LineRule]:
    missing = [line for line in LINES if line not in tables]
    if missing:
        raise ScheduleError(f"lines: missing [lines.{missing[0]}]")
    rules = {}
    for line, table in tables.items():
        budget = timedelta(minutes=_number(table, line, "callback_within_minutes", minimum=1))
        warn = timedelta(minutes=_number(table, line, "warn_before_minutes", minimum=0))
        if warn >= budget:
            raise ScheduleError(f"lines.{line}: warn_before_minutes must be under the budget")
        escalate = _number(table, line, "escalate_after_minutes", minimum=0)
        aim = _number(table, line, "resolution_aim_hours", minimum=0)
        rules[line] = LineRule(
            line=line,
            schedule=str(table.get("schedule", "")),
            callback_within=budget,
            notify=_number(table, line, "notify", minimum=1),
            warn_before=warn,
            escalate_after=timedelta(minutes=escalate) if escalate else None,
            resolution_aim=timedelta(hours=aim) if aim else None,
        )
    return rules


def _number(table: dict[str, Any], line: str, key: str, minimum: int) -> int:
    """A whole number of at least ``minimum``; a field with minimum 0 may be left out."""
    value = table.get(key, None if minimum else 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ScheduleError(f"lines.{line}: {key} must be a whole number of at least {minimum}")
    return value
