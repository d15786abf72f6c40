"""The SLA clock: deadlines and elapsed time in business time, over open intervals."""

from __future__ import annotations

from datetime import datetime, timedelta

from routing.calendar import BusinessCalendar, CalendarError, require_aware


def deadline(calendar: BusinessCalendar, start: datetime, budget: timedelta) -> datetime:
    """When ``budget`` of open time, counted from ``start``, runs out.

    A clock started while closed starts at the next opening; a budget that runs out exactly at
    closing time ends at closing time, not at the next opening.
    """
    require_aware(start, "start")
    if budget <= timedelta(0):
        raise CalendarError(f"budget {budget} must be positive")
    remaining = budget
    for opens, closes in calendar.intervals_from(start):
        if remaining <= closes - opens:
            return opens + remaining
        remaining -= closes - opens
    raise CalendarError(f"schedule {calendar.schedule.name!r}: not enough open time for {budget}")


def elapsed(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Open time between ``start`` and ``end`` (zero when ``end`` is not after ``start``)."""
    require_aware(start, "start")
    require_aware(end, "end")
    total = timedelta(0)
    if end <= start:
        return total
    for opens, closes in calendar.intervals_from(start):
        if opens >= end:
            break
        total += min(closes, end) - opens
    return total
