"""Weekly schedules: open windows per weekday, in wall-clock minutes of the company's time zone."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MINUTES_PER_DAY = 24 * 60

_WINDOW = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


class ScheduleError(ValueError):
    """A schedule that cannot be used; the message says what is wrong and where."""


@dataclass(frozen=True, order=True)
class Window:
    """Open from ``start`` to ``end`` (minutes after local midnight; ``end`` may be 24:00)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < MINUTES_PER_DAY or not 0 < self.end <= MINUTES_PER_DAY:
            raise ScheduleError(f"window {self}: times must lie between 00:00 and 24:00")
        if self.end <= self.start:
            raise ScheduleError(f"window {self}: it ends before it starts")

    @classmethod
    def parse(cls, text: str) -> Window:
        match = _WINDOW.match(text.strip())
        if match is None:
            raise ScheduleError(f"window {text!r}: expected HH:MM-HH:MM, such as 08:30-17:00")
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        if m1 > 59 or m2 > 59:
            raise ScheduleError(f"window {text!r}: minutes go up to 59")
        return cls(h1 * 60 + m1, h2 * 60 + m2)

    def __str__(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Schedule:
    """A named weekly schedule: for each weekday (Monday = 0), its open windows in order."""

    name: str
    week: tuple[tuple[Window, ...], ...]

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ScheduleError(f"schedule {self.name!r}: needs 7 weekdays, got {len(self.week)}")
        for day, windows in zip(WEEKDAYS, self.week, strict=True):
            for before, after in itertools.pairwise(windows):
                if after.start < before.end:
                    raise ScheduleError(
                        f"schedule {self.name!r}: {day}: windows {before} and {after} overlap"
                    )

    @property
    def has_hours(self) -> bool:
        return any(self.week)

    def windows(self, weekday: int) -> tuple[Window, ...]:
        return self.week[weekday]

    @classmethod
    def from_table(cls, name: str, table: Mapping[str, Sequence[str]]) -> Schedule:
        unknown = sorted(set(table) - set(WEEKDAYS))
        if unknown:
            raise ScheduleError(f"schedule {name!r}: unknown day(s) {', '.join(unknown)}")
        week = []
        for day in WEEKDAYS:
            texts = table.get(day, [])
            if isinstance(texts, str) or not isinstance(texts, Sequence):
                raise ScheduleError(f"schedule {name!r}: {day}: expected a list of windows")
            try:
                week.append(tuple(sorted(Window.parse(text) for text in texts)))
            except ScheduleError as error:
                raise ScheduleError(f"schedule {name!r}: {day}: {error}") from None
        return cls(name, tuple(week))
