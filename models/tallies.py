"""Inbound calls counted per UTC hour and outcome, stored once the hour is settled, so that a
year's dashboard reads a year of hours instead of a year of calls.

A stored hour stays right because every flush that adds, deletes or changes (direction, start,
outcome) a call of an hour old enough to be stored forgets that hour (one DELETE, cascading to
its counts), and the next dashboard counts it again. A live call is younger than that: the
phone's webhooks run no statement for it. Every change to a call goes through a session (no bulk
UPDATE or DELETE of ``call`` anywhere), so this flush hook sees them all; the one INSERT of a
call outside the session's objects (``helpdesk.calllog.find_or_start``) calls ``forget`` itself
(a simulated call placed in the past, ``flask call simulate --at``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, String, delete, event, inspect
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column, sessionmaker

from models.base import Base, current_time, utcnow
from models.calls import Call

HOUR = timedelta(hours=1)
# An hour is stored once it ended this long ago: calls still ringing or being recorded are not.
SETTLED_AFTER = timedelta(hours=6)
# A flush forgets hours a little younger than settled too, so that a dashboard storing hours at
# the same moment, by a clock a little ahead, cannot keep one the flush thought unsettled.
MARGIN = timedelta(hours=1)
NO_OUTCOME = ""  # a key column cannot be NULL
WATCHED = ("direction", "started_at", "outcome")  # what the counts depend on


class CallHour(Base):
    """An hour whose inbound calls are counted in ``call_hour_count`` (no row: not counted)."""

    __tablename__ = "call_hour"

    hour: Mapped[datetime] = mapped_column(primary_key=True)  # UTC, on the hour


class CallHourCount(Base):
    __tablename__ = "call_hour_count"

    hour: Mapped[datetime] = mapped_column(
        ForeignKey("call_hour.hour", ondelete="CASCADE"), primary_key=True
    )
    outcome: Mapped[str] = mapped_column(String(30), primary_key=True)
    calls: Mapped[int]


def on_the_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def settled_before(now: datetime) -> datetime:
    """The hours before this one are settled: they may be stored."""
    return on_the_hour(now) - SETTLED_AFTER


def attach(factory: sessionmaker[Session]) -> None:
    event.listen(factory, "before_flush", _forget_changed_hours)


def forget(session: Session, starts: Iterable[datetime]) -> None:
    """Forget the stored hours of calls that started at ``starts`` (their counts changed): one
    DELETE if any is old enough to be stored, none otherwise (a live call)."""
    # The later clock: a simulation may set a session's back (``flask call simulate --at``),
    # while the dashboards stored hours by the host's.
    limit = settled_before(max(current_time(session), utcnow())) + MARGIN
    hours = {on_the_hour(moment) for moment in starts if moment < limit}
    if hours:
        session.execute(delete(CallHour).where(CallHour.hour.in_(sorted(hours))))


def _forget_changed_hours(session: Session, _ctx: UOWTransaction, _i: Any) -> None:
    forget(session, [moment for call in _changed_calls(session) for moment in _starts(call)])


def _changed_calls(session: Session) -> Iterator[Call]:
    for obj in [*session.new, *session.deleted]:
        if isinstance(obj, Call):
            yield obj
    for obj in session.dirty:
        state = inspect(obj)
        if isinstance(obj, Call) and any(state.attrs[a].history.has_changes() for a in WATCHED):
            yield obj


def _starts(call: Call) -> list[datetime]:
    """The call's start, and its former start if it changed (both hours change)."""
    history = inspect(call).attrs.started_at.history
    known = [*history.added, *history.unchanged, *history.deleted]
    if not known:  # expired since it was read: read it (None for a call not inserted yet)
        known = [call.started_at]
    return [moment for moment in known if moment is not None]
