"""Company closures (a day or part of one) and the manual open/closed switch of the schedules.

The phone line reads these rows on every call (helpdesk.business_time.calendar_for), so a
closure added or an override ended here applies to the next call at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.business_time import ALL_SCHEDULES
from models import Closure, OverrideState, ScheduleOverride
from refusals import Refused
from routing.config import BusinessHours

REASON_MAX = 200  # the column's length
LONGEST_SWITCH = timedelta(days=92)  # a season; a longer absence is a list of closures


def upcoming_closures(session: Session, today: date) -> Sequence[Closure]:
    """Closures from ``today`` (local date) on, soonest first."""
    return session.scalars(
        select(Closure).where(Closure.day >= today).order_by(Closure.day, Closure.from_time)
    ).all()


def add_closure(
    session: Session,
    day: date,
    from_time: time | None,
    until_time: time | None,
    reason: str,
    *,
    today: date,
) -> Closure:
    """Close the company on ``day``: all day, from a time, until a time, or between two. A day
    already past is refused: the line would never follow it, nor the page list it."""
    if from_time is not None and until_time is not None and until_time <= from_time:
        raise Refused("closure_ends_before_start", "a closure must end after it starts")
    if day < today:
        raise Refused(
            "closure_in_past", "%(day)s is past: a closure is for today or later", day=day
        )
    same = select(Closure.id).where(
        Closure.day == day, Closure.from_time == from_time, Closure.until_time == until_time
    )
    if session.scalar(same.limit(1)) is not None:  # a form sent twice, or typed again
        raise Refused("closure_exists", "this closure of %(day)s is already listed", day=day)
    closure = Closure(day=day, from_time=from_time, until_time=until_time, reason=_reason(reason))
    session.add(closure)
    session.flush()
    return closure


def remove_closure(session: Session, closure_id: int) -> None:
    closure = session.get(Closure, closure_id)
    if closure is None:
        raise Refused("no_such_closure", "no such closure")
    session.delete(closure)


def overrides_in_force(session: Session, now: datetime) -> Sequence[ScheduleOverride]:
    """The switches not yet ended, soonest end first."""
    return session.scalars(
        select(ScheduleOverride)
        .where(ScheduleOverride.ends_at > now)
        .order_by(ScheduleOverride.ends_at, ScheduleOverride.id)
    ).all()


def set_override(
    session: Session,
    hours: BusinessHours,
    *,
    schedule: str,
    is_open: bool,
    now: datetime,
    ends_at: datetime,
    reason: str,
    staff_member_id: int | None,
) -> ScheduleOverride:
    """ "Open now until …" or "closed now until …" for one schedule, or "*" for all of them."""
    if schedule != ALL_SCHEDULES and schedule not in hours.schedules:
        raise Refused("unknown_schedule", "unknown schedule %(schedule)s", schedule=schedule)
    if ends_at <= now:
        raise Refused("override_ends_in_past", "the switch must end later than now")
    if ends_at > now + LONGEST_SWITCH:
        # Business time walks the calendar day by day: a switch to the year 2199 would stall
        # every deadline. A longer absence is a list of closures.
        raise Refused(
            "override_too_long",
            "a switch lasts at most %(days)d days: add closures for a longer absence",
            days=LONGEST_SWITCH.days,
        )
    override = ScheduleOverride(
        schedule=schedule,
        state=OverrideState.OPEN if is_open else OverrideState.CLOSED,
        starts_at=now,
        ends_at=ends_at,
        reason=_reason(reason),
        staff_member_id=staff_member_id,
    )
    session.add(override)
    session.flush()
    return override


def end_override(session: Session, override_id: int, now: datetime) -> None:
    """End a switch early: it stops now (and its past stays on record for the SLA clock)."""
    override = session.get(ScheduleOverride, override_id)
    if override is None or override.ends_at <= now:
        raise Refused("no_such_override", "no such switch in force")
    if override.starts_at >= now:
        # Not begun: nothing of it happened; an override may not end before it starts.
        session.delete(override)
    else:
        override.ends_at = now


def span(closure: Closure, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The moments a closure covers: its day, from its start (or midnight) to its end (or the
    next midnight), Montreal time."""
    start = datetime.combine(closure.day, closure.from_time or time(0), zone)
    if closure.until_time is not None:
        return start, datetime.combine(closure.day, closure.until_time, zone)
    return start, datetime.combine(closure.day + timedelta(days=1), time(0), zone)


def opened_over(session: Session, closure: Closure, zone: ZoneInfo) -> Sequence[ScheduleOverride]:
    """The "open now" switches that keep the line open during part of this closure: an open
    switch wins over a closure (routing.calendar), so the closure does not apply while it lasts."""
    start, end = span(closure, zone)
    return session.scalars(
        select(ScheduleOverride)
        .where(
            ScheduleOverride.state == OverrideState.OPEN,
            ScheduleOverride.starts_at < end,
            ScheduleOverride.ends_at > start,
        )
        .order_by(ScheduleOverride.ends_at)
    ).all()


def _reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise Refused("reason_too_long", "the reason is longer than %(n)d characters", n=REASON_MAX)
    return reason
