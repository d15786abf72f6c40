"""A slow, obviously correct SLA clock: step minute by minute, ask the wall clock each time.

It shares nothing with ``routing.calendar`` but the schedule, holiday and closure *data*, so
the property tests and the benchmark can hold the fast clock to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from routing.calendar import Closure, Override
from routing.holidays_qc import QuebecHolidays
from routing.schedules import Schedule

MINUTE = timedelta(minutes=1)


class ReferenceClock:
    def __init__(
        self,
        schedule: Schedule,
        timezone: ZoneInfo,
        holidays: QuebecHolidays,
        closures: Sequence[Closure] = (),
        overrides: Sequence[Override] = (),
    ) -> None:
        self.schedule, self.timezone, self.holidays = schedule, timezone, holidays
        self.closures, self.overrides = closures, overrides

    def is_open(self, moment: datetime) -> bool:
        if any(not o.is_open and o.starts_at <= moment < o.ends_at for o in self.overrides):
            return False
        if any(o.is_open and o.starts_at <= moment < o.ends_at for o in self.overrides):
            return True
        local = moment.astimezone(self.timezone)
        minute = local.hour * 60 + local.minute
        if self.holidays.on(local.date()) is not None:
            return False
        for closure in self.closures:
            start, end = closure.minutes()
            if closure.day == local.date() and start <= minute < end:
                return False
        windows = self.schedule.windows(local.weekday())
        return any(w.start <= minute < w.end for w in windows)

    def deadline(self, start: datetime, budget: timedelta) -> datetime:
        moment, remaining = start.astimezone(UTC), budget
        while True:
            if self.is_open(moment):
                remaining -= MINUTE
                if remaining <= timedelta(0):
                    return moment + MINUTE
            moment += MINUTE

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        moment, total = start.astimezone(UTC), timedelta(0)
        while moment < end:
            if self.is_open(moment):
                total += MINUTE
            moment += MINUTE
        return total
