"""Business time with the company's own closures, overrides and roster from the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import Closure, Duty, Line, OverrideState, ScheduleOverride, StaffMember
from routing import calendar, duty
from routing.config import BusinessHours

ALL_SCHEDULES = "*"


def calendar_for(
    session: Session, hours: BusinessHours, schedule: str, since: datetime
) -> calendar.BusinessCalendar:
    """The calendar of ``schedule``, with the closures and overrides that matter from ``since``."""
    local_day = since.astimezone(hours.timezone).date()
    closures = [
        calendar.Closure(row.day, row.from_time, row.until_time, row.reason)
        for row in session.scalars(select(Closure).where(Closure.day >= local_day))
    ]
    overrides = [
        calendar.Override(row.state == OverrideState.OPEN, row.starts_at, row.ends_at, row.reason)
        for row in session.scalars(
            select(ScheduleOverride).where(
                ScheduleOverride.ends_at > since,
                or_(
                    ScheduleOverride.schedule == schedule,
                    ScheduleOverride.schedule == ALL_SCHEDULES,
                ),
            )
        )
    ]
    return hours.calendar(schedule, closures, overrides)


def on_duty(
    session: Session, hours: BusinessHours, line: str, moment: datetime
) -> list[duty.Person]:
    """The people to ring and notify for ``line`` at ``moment``; raises duty.Unstaffed."""
    people = [
        duty.Person(
            m.id,
            m.name,
            m.role.value,
            m.active,
            m.email,
            m.mobile,
            m.language.value,
            off_duty=m.off_duty_since is not None,
        )
        for m in session.scalars(select(StaffMember).order_by(StaffMember.id))
    ]
    assignments = [
        duty.Assignment(d.line.value, d.staff_member_id, d.position, d.starts_at, d.ends_at)
        for d in session.scalars(select(Duty))
    ]
    return duty.on_duty(line, moment, assignments, people, hours.line(line).notify)


def people_on_duty(
    session: Session, hours: BusinessHours, line: Line, moment: datetime
) -> list[int]:
    """The ids of the people to notify for ``line`` at ``moment``; none when it is unstaffed."""
    try:
        return [p.id for p in on_duty(session, hours, line.value, moment)]
    except duty.Unstaffed:
        return []
