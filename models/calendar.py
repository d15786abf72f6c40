"""Company closures and a supervisor's manual override of the schedules.

Closures are calendar facts in the company's own time zone (a date and wall-clock times);
overrides are instants, since they start "now".
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, default_now
from models.enums import OverrideState


class Closure(Base):
    """A day, or part of a day (``from_time``/``until_time``), when the company is closed."""

    __tablename__ = "closure"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    from_time: Mapped[time | None]
    until_time: Mapped[time | None]
    reason: Mapped[str] = mapped_column(String(200), default="")


class ScheduleOverride(Base):
    """ "Closed now until …" or "open now until …", set by a supervisor; it ends by itself."""

    __tablename__ = "schedule_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule: Mapped[str] = mapped_column(String(40), index=True)
    state: Mapped[OverrideState]
    starts_at: Mapped[datetime] = mapped_column(default=default_now)
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200), default="")
    staff_member_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id"))
