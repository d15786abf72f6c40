"""Open or closed, when, and why: one schedule, with holidays, closures and manual overrides.

Everything is computed as intervals of open time, one local day at a time, in UTC instants:
never minute by minute, and never by adding 86,400 seconds to a day (days of 23 and 25 hours
exist here). Wall-clock bounds that fall in the hour skipped by daylight saving time mean the
moment of the change; bounds in the repeated hour mean its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from routing.holidays_qc import Holiday, QuebecHolidays
from routing.schedules import MINUTES_PER_DAY, Schedule

Interval = tuple[datetime, datetime]


class CalendarError(ValueError):
    """Bad input to the calendar: a naive datetime, a schedule that never opens…"""


@dataclass(frozen=True)
class Closure:
    """The company is closed on ``day``: all day, or from ``start`` until ``end`` (local times)."""

    day: date
    start: time | None = None
    end: time | None = None
    reason: str = ""

    def minutes(self) -> tuple[int, int]:
        start = 0 if self.start is None else self.start.hour * 60 + self.start.minute
        end = MINUTES_PER_DAY if self.end is None else self.end.hour * 60 + self.end.minute
        if end <= start:
            raise CalendarError(f"closure on {self.day}: it ends before it starts")
        return start, end


@dataclass(frozen=True)
class Override:
    """A supervisor's "open now until …" or "closed now until …"; it ends by itself."""

    is_open: bool
    starts_at: datetime
    ends_at: datetime
    reason: str = ""

    def __post_init__(self) -> None:
        require_aware(self.starts_at, "override start")
        require_aware(self.ends_at, "override end")
        if self.ends_at <= self.starts_at:
            raise CalendarError("override: it ends before it starts")


class Reason(StrEnum):
    MANUAL = "manual"
    CLOSURE = "closure"
    HOLIDAY = "holiday"
    WEEKEND = "weekend"
    DAY_OFF = "day_off"  # a weekday the schedule has no hours on
    BEFORE_HOURS = "before_hours"
    BETWEEN_WINDOWS = "between_windows"
    AFTER_HOURS = "after_hours"


@dataclass(frozen=True)
class Status:
    is_open: bool
    reason: Reason | None  # why closed; MANUAL also when opened by an override
    holiday: Holiday | None = None
    closure: Closure | None = None
    opens_at: datetime | None = None  # the next opening, when closed
    closes_at: datetime | None = None  # the end of the current open stretch, when open


def require_aware(moment: datetime, what: str = "datetime") -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CalendarError(f"{what} {moment!r} is naive: give a time-zone-aware datetime")


class BusinessCalendar:
    """When one schedule is open, holidays, closures and overrides included."""

    def __init__(
        self,
        schedule: Schedule,
        timezone: ZoneInfo,
        holidays: QuebecHolidays,
        closures: Iterable[Closure] = (),
        overrides: Iterable[Override] = (),
    ) -> None:
        self.schedule = schedule
        self.timezone = timezone
        self.holidays = holidays
        self.closures: dict[date, list[Closure]] = {}
        for closure in closures:
            closure.minutes()  # refuse a bad closure now
            self.closures.setdefault(closure.day, []).append(closure)
        self.overrides = tuple(overrides)
        self._scheduled: dict[date, tuple[Interval, ...]] = {}
        self._days: dict[date, tuple[Interval, ...]] = {}

    def __repr__(self) -> str:
        return (
            f"BusinessCalendar({self.schedule!r}, {self.timezone.key!r}, "
            f"closures={self.closures!r}, overrides={self.overrides!r})"
        )

    # -- instants and local days ------------------------------------------------------------

    def local_date(self, moment: datetime) -> date:
        require_aware(moment)
        return moment.astimezone(self.timezone).date()

    def instant(self, day: date, minute: int) -> datetime:
        """The first instant whose wall-clock time on ``day`` is at least ``minute``."""
        if minute >= MINUTES_PER_DAY:
            return self.instant(day + timedelta(days=1), minute - MINUTES_PER_DAY)
        wall = datetime.combine(day, time(minute // 60, minute % 60))
        first = wall.replace(tzinfo=self.timezone).astimezone(UTC)
        if first.astimezone(self.timezone).replace(tzinfo=None) == wall:
            return first  # exists; fold=0 is the first of a repeated hour
        # In the hour skipped in spring the clock passes ``wall`` at the change itself, which
        # lies between the two readings of ``wall`` (before and after the change).
        second = wall.replace(tzinfo=self.timezone, fold=1).astimezone(UTC)
        low, high = sorted((int(first.timestamp()), int(second.timestamp())))
        while high - low > 1:
            middle = (low + high) // 2
            reached = datetime.fromtimestamp(middle, self.timezone).replace(tzinfo=None) >= wall
            low, high = (low, middle) if reached else (middle, high)
        return datetime.fromtimestamp(high, UTC)

    # -- open intervals ---------------------------------------------------------------------

    def day_intervals(self, day: date) -> tuple[Interval, ...]:
        """The open intervals of one local day, in UTC, in order."""
        if day not in self._days:
            self._days[day] = self._with_overrides(day, self.scheduled_intervals(day))
        return self._days[day]

    def scheduled_intervals(self, day: date) -> tuple[Interval, ...]:
        """The day's open intervals by the schedule, holidays and closures: no override."""
        if day not in self._scheduled:
            intervals: list[Interval] = []
            if self.holidays.on(day) is None:
                for window in self.schedule.windows(day.weekday()):
                    start, end = self.instant(day, window.start), self.instant(day, window.end)
                    intervals.append((start, end))
            for closure in self.closures.get(day, ()):
                start_minute, end_minute = closure.minutes()
                cut = (self.instant(day, start_minute), self.instant(day, end_minute))
                intervals = _subtract(intervals, cut)
            self._scheduled[day] = tuple(intervals)
        return self._scheduled[day]

    def _with_overrides(self, day: date, scheduled: tuple[Interval, ...]) -> tuple[Interval, ...]:
        # Open overrides add time, closed ones remove it; closed wins where both apply.
        if not self.overrides:
            return scheduled
        intervals = list(scheduled)
        span = (self.instant(day, 0), self.instant(day, MINUTES_PER_DAY))
        for override in sorted(self.overrides, key=lambda o: not o.is_open):
            piece = _clip((override.starts_at, override.ends_at), span)
            if piece is None:
                continue
            intervals = (
                _union(intervals, piece) if override.is_open else _subtract(intervals, piece)
            )
        return tuple(intervals)

    def intervals_from(self, moment: datetime) -> Iterator[Interval]:
        """Open intervals from ``moment`` on, clipped to it, adjacent ones merged (midnight)."""
        require_aware(moment)
        moment = moment.astimezone(UTC)
        day = self.local_date(moment) - timedelta(days=1)  # an override may span midnight
        # A schedule with hours opens again within days: holidays and closures are finite. One
        # without hours is open only under an override, so looking stops after the last one.
        last_day = None if self.schedule.has_hours else self._last_override_day()
        pending: Interval | None = None
        while last_day is None or day <= last_day:
            for start, end in self.day_intervals(day):
                if end <= moment:
                    continue
                start = max(start, moment)
                if pending is not None and pending[1] == start:
                    pending = (pending[0], end)
                    continue
                if pending is not None:
                    yield pending
                pending = (start, end)
            day += timedelta(days=1)
        if pending is not None:
            yield pending
            return
        raise CalendarError(
            f"schedule {self.schedule.name!r} has no open time after {moment.isoformat()}"
        )

    def _last_override_day(self) -> date:
        ends = [o.ends_at for o in self.overrides if o.is_open]
        return self.local_date(max(ends)) if ends else date.min

    # -- status -----------------------------------------------------------------------------

    def status(self, moment: datetime) -> Status:
        require_aware(moment)
        moment = moment.astimezone(UTC)
        upcoming = self.intervals_from(moment)
        first = next(upcoming)
        if first[0] == moment:
            manual = not self._scheduled_open(moment)
            return Status(True, Reason.MANUAL if manual else None, closes_at=first[1])
        return self._closed_status(moment, opens_at=first[0])

    def _scheduled_open(self, moment: datetime) -> bool:
        intervals = self.scheduled_intervals(self.local_date(moment))
        return any(start <= moment < end for start, end in intervals)

    def _closed_status(self, moment: datetime, opens_at: datetime) -> Status:
        for override in self.overrides:
            if not override.is_open and override.starts_at <= moment < override.ends_at:
                return Status(False, Reason.MANUAL, opens_at=opens_at)
        day = self.local_date(moment)
        for closure in self.closures.get(day, ()):
            start, end = closure.minutes()
            if self.instant(day, start) <= moment < self.instant(day, end):
                return Status(False, Reason.CLOSURE, closure=closure, opens_at=opens_at)
        holiday = self.holidays.on(day)
        if holiday is not None:
            return Status(False, Reason.HOLIDAY, holiday=holiday, opens_at=opens_at)
        return Status(False, self._reason_by_hours(day, moment), opens_at=opens_at)

    def _reason_by_hours(self, day: date, moment: datetime) -> Reason:
        windows = self.schedule.windows(day.weekday())
        if not windows:
            return Reason.WEEKEND if day.weekday() >= 5 else Reason.DAY_OFF
        if moment < self.instant(day, windows[0].start):
            return Reason.BEFORE_HOURS
        if moment >= self.instant(day, windows[-1].end):
            return Reason.AFTER_HOURS
        return Reason.BETWEEN_WINDOWS


def _clip(interval: Interval, span: Interval) -> Interval | None:
    start, end = max(interval[0], span[0]), min(interval[1], span[1])
    return (start, end) if start < end else None


def _subtract(intervals: Sequence[Interval], cut: Interval) -> list[Interval]:
    result: list[Interval] = []
    for start, end in intervals:
        if end <= cut[0] or start >= cut[1]:
            result.append((start, end))
            continue
        if start < cut[0]:
            result.append((start, cut[0]))
        if end > cut[1]:
            result.append((cut[1], end))
    return result


def _union(intervals: Sequence[Interval], extra: Interval) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted([*intervals, extra]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
