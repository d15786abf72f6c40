"""Who is on duty: for a line and an instant, the ordered people to ring and notify."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from routing.calendar import require_aware


class Unstaffed(RuntimeError):
    """Nobody can be rung or notified for a line: the message says which and when."""


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    role: str  # "technician" or "supervisor"
    active: bool = True
    email: str = ""
    mobile: str | None = None
    language: str = "fr"
    # Off duty by their own word (an "OFF" by SMS): passed by on every line, standing order and
    # rotations alike, and never filled in as a supervisor, until they say "ON".
    off_duty: bool = False

    @property
    def available(self) -> bool:
        return self.active and not self.off_duty


@dataclass(frozen=True)
class Assignment:
    """A place in a line's order; with dates, a rotation that goes before the standing order."""

    line: str
    person_id: int
    position: int
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def covers(self, moment: datetime) -> bool:
        after_start = self.starts_at is None or self.starts_at <= moment
        before_end = self.ends_at is None or moment < self.ends_at
        return after_start and before_end

    @property
    def dated(self) -> bool:
        return self.starts_at is not None or self.ends_at is not None


def on_duty(
    line: str,
    moment: datetime,
    assignments: Iterable[Assignment],
    people: Sequence[Person],
    needed: int,
) -> list[Person]:
    """The first ``needed`` available people (active, not off duty) on duty for ``line`` at
    ``moment``, in order.

    A rotation in force goes before the standing order; when fewer are on duty than needed,
    active supervisors fill in; when nobody at all is left, Unstaffed is raised.
    """
    require_aware(moment, "moment")
    if needed < 1:
        raise ValueError(f"needed must be at least 1, got {needed}")
    by_id = {person.id: person for person in people}
    in_force = [a for a in assignments if a.line == line and a.covers(moment)]
    in_force.sort(key=lambda a: (not a.dated, a.position, a.person_id))
    chosen: list[Person] = []
    candidates = [by_id.get(a.person_id) for a in in_force]
    candidates += [p for p in people if p.role == "supervisor"]
    for person in candidates:
        if person is not None and person.available and person not in chosen:
            chosen.append(person)
        if len(chosen) == needed:
            break
    if not chosen:
        raise Unstaffed(f"nobody is on duty for the {line} line at {moment.isoformat()}")
    return chosen
