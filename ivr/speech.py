"""Times, days and hours as a caller hears them: "à 14 h 30", "lundi 30 novembre", "2:30 PM".

The sentence patterns are in the prompt catalog; here are the clock and the calendar's words.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from i18n import Catalog
from routing.schedules import WEEKDAYS, Schedule, Window
from time_words import DAY_NAMES, clock, day_and_date


def when(catalog: Catalog, moment: datetime, now: datetime, language: str) -> str:
    """A deadline relative to now, in local time: "à 14 h 30", "demain à 7 h 30", "lundi 30
    novembre à 12 h 30"."""
    local, today = moment.astimezone(now.tzinfo), now.date()
    time_of_day = clock(local.hour * 60 + local.minute, language)
    if local.date() == today:
        return catalog.render("when_today", language, time=time_of_day)
    if local.date() == today + timedelta(days=1):
        return catalog.render("when_tomorrow", language, time=time_of_day)
    return catalog.render(
        "when_day", language, day=day_and_date(local.date(), language), time=time_of_day
    )


def hours(catalog: Catalog, schedule: Schedule, language: str) -> str:
    """A week of windows: "du lundi au vendredi, de 8 h 30 à 17 h"."""
    parts = []
    for first, last, windows in _runs(schedule):
        spans = _span(catalog, windows[0], language)
        for window in windows[1:]:
            spans = catalog.render(
                "spans_and", language, first=spans, second=_span(catalog, window, language)
            )
        parts.append(
            catalog.render(
                "day_hours", language, days=_days(catalog, first, last, language), spans=spans
            )
        )
    return "; ".join(parts)


def _runs(schedule: Schedule) -> list[tuple[int, int, tuple[Window, ...]]]:
    """Consecutive weekdays with the same windows, as (first, last, windows)."""
    runs: list[tuple[int, int, tuple[Window, ...]]] = []
    for day in range(len(WEEKDAYS)):
        windows = schedule.windows(day)
        if not windows:
            continue
        if runs and runs[-1][1] == day - 1 and runs[-1][2] == windows:
            runs[-1] = (runs[-1][0], day, windows)
        else:
            runs.append((day, day, windows))
    return runs


def _days(catalog: Catalog, first: int, last: int, language: str) -> str:
    names = DAY_NAMES[language]
    if first == last:
        return catalog.render("days_single", language, first=names[first])
    return catalog.render("days_range", language, first=names[first], last=names[last])


def _span(catalog: Catalog, window: Window, language: str) -> str:
    start, end = clock(window.start, language), clock(window.end, language)
    return catalog.render("time_span", language, start=start, end=end)


def digits(number: int | str) -> str:
    """A ticket or account number read digit by digit: 1042 → "1 0 4 2"."""
    return " ".join(str(number))
