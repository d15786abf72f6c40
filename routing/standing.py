"""Where a ticket stands against its line's promises: the business time left before its
callback deadline (on time, at risk, late), and its resolution aim, if its line has one.

Plain logic over the routing package's calendars and line rules: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from routing import sla
from routing.calendar import BusinessCalendar
from routing.config import LineRule

# A ticket is at risk this close to its deadline at least, even on a line that warns later.
AT_RISK_AT_LEAST = timedelta(minutes=15)


class Standing(StrEnum):
    REACHED = "reached_on_time"  # the client was reached by the deadline: the promise is kept
    REACHED_LATE = "reached_late"  # reached after it: the promise was missed, for good
    ON_TIME = "on_time"
    AT_RISK = "at_risk"
    LATE = "late"
    NO_PROMISE = "no_promise"  # a message to verify, or a ticket without a deadline
    SETTLED = "settled_unreached"  # resolved or closed before anybody reached the client


@dataclass(frozen=True)
class Deadline:
    due: datetime | None
    left: timedelta | None  # business time to the deadline; negative once it has passed
    standing: Standing


# What needs action first: a promise about to be missed, then the callbacks still owed (late
# or on time), each soonest deadline first; after them, promises kept or missed for good.
ACTION_RANKS: Mapping[Standing, int] = {
    Standing.AT_RISK: 0,
    Standing.LATE: 1,
    Standing.ON_TIME: 1,
}
AFTER_ACTION = 2
_NO_DEADLINE = datetime.max.replace(tzinfo=UTC)

# What a list of tickets flags beside a deadline: what went wrong, or may go wrong soon.
FLAGGED: frozenset[Standing] = frozenset({Standing.AT_RISK, Standing.LATE, Standing.REACHED_LATE})


def business_left(calendar: BusinessCalendar, now: datetime, due: datetime) -> timedelta:
    """Open time from now to the deadline; negative (open time since it) once it has passed."""
    if due > now:
        return sla.elapsed(calendar, now, due)
    return -sla.elapsed(calendar, due, now)


def standing(
    now: datetime, due: datetime | None, left: timedelta | None, warn_before: timedelta
) -> Standing:
    if due is None or left is None:
        return Standing.NO_PROMISE
    if now >= due:
        return Standing.LATE
    if left <= max(warn_before, AT_RISK_AT_LEAST):
        return Standing.AT_RISK
    return Standing.ON_TIME


@dataclass(frozen=True)
class Clocks:
    """Each line's calendar and warning, built once for a page whatever its length."""

    now: datetime
    calendars: Mapping[str, BusinessCalendar]
    warnings: Mapping[str, timedelta]

    def deadline(
        self,
        line: str,
        due: datetime | None,
        reached: datetime | None,
        to_verify: bool,
        settled_at: datetime | None = None,
    ) -> Deadline:
        """``settled_at``: when the ticket was resolved or closed, if it is; unreached, no clock
        runs for it: settled before its deadline it is settled, after it the deadline was
        missed."""
        if to_verify or due is None:
            return Deadline(due, None, Standing.NO_PROMISE)
        if reached is not None:
            return self._reached(line, due, reached)
        if settled_at is not None:
            return Deadline(due, None, Standing.LATE if settled_at >= due else Standing.SETTLED)
        left = business_left(self.calendars[line], self.now, due)
        return Deadline(due, left, standing(self.now, due, left, self.warnings[line]))

    def _reached(self, line: str, due: datetime, reached: datetime) -> Deadline:
        """Reached in time, or how late (business time; a minute at least: reached after
        closing, the deadline was still missed)."""
        if reached <= due:
            return Deadline(due, None, Standing.REACHED)
        late = max(sla.elapsed(self.calendars[line], due, reached), timedelta(minutes=1))
        return Deadline(due, -late, Standing.REACHED_LATE)


def action_first(deadline: Deadline) -> tuple[int, datetime]:
    """Sort key of a board whose first rows need action now (ACTION_RANKS)."""
    return ACTION_RANKS.get(deadline.standing, AFTER_ACTION), deadline.due or _NO_DEADLINE


def flag(deadline: Deadline) -> Standing | None:
    """The standing a list shows beside the deadline (FLAGGED), or None when all is well."""
    return deadline.standing if deadline.standing in FLAGGED else None


@dataclass(frozen=True)
class Aim:
    """When the ticket should be resolved by, and whether that moment has passed."""

    at: datetime
    passed: bool


def resolution_aim(
    rule: LineRule, opened: datetime, now: datetime, due: datetime | None = None
) -> Aim | None:
    """The line's aim counted from the call (``resolution_aim_hours`` in the business hours),
    never before the callback deadline ``due`` (a request made before a long weekend is not to
    be solved before the client is even called back); None for a line that has none."""
    if rule.resolution_aim is None:
        return None
    at = max(opened + rule.resolution_aim, due) if due else opened + rule.resolution_aim
    return Aim(at, now >= at)


def spoken(left: timedelta) -> tuple[int, int]:
    """Hours and minutes of a duration, sign dropped, rounded down to the minute."""
    minutes = int(abs(left).total_seconds() // 60)
    return divmod(minutes, 60)
