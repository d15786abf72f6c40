"""The on-call roster: each line's standing order, dated rotations, and who answers when.

"Who answers" is the phone line's own computation (helpdesk.business_time.on_duty), never a
copy of it, so the page and the line cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from helpdesk import business_time
from models import Duty, Line, StaffMember
from refusals import Refused
from routing import duty
from routing.calendar import Status
from routing.config import BusinessHours


@dataclass(frozen=True)
class Answer:
    """One line at a moment: is it open, and who would be rung and notified."""

    line: Line
    status: Status
    people: list[duty.Person]  # empty when the line is unstaffed


def standing_order(session: Session, line: Line) -> list[int]:
    """The staff ids of the line's standing (undated) order, first rung first."""
    return list(
        session.scalars(
            select(Duty.staff_member_id)
            .where(Duty.line == line, Duty.starts_at.is_(None), Duty.ends_at.is_(None))
            .order_by(Duty.position, Duty.id)
        )
    )


def set_standing_order(session: Session, line: Line, staff_ids: Sequence[int]) -> None:
    """Replace the line's standing order with ``staff_ids``, in that order."""
    if len(set(staff_ids)) != len(staff_ids):
        raise Refused("listed_twice", "a person is listed twice in the order")
    for staff_id in staff_ids:
        _ready_for_duty(session, staff_id)
    session.execute(
        delete(Duty).where(Duty.line == line, Duty.starts_at.is_(None), Duty.ends_at.is_(None))
    )
    session.add_all(
        Duty(line=line, staff_member_id=staff_id, position=position)
        for position, staff_id in enumerate(staff_ids)
    )


def rotations(session: Session, now: datetime) -> Sequence[Duty]:
    """Dated rotations not yet over, by line and start."""
    return session.scalars(
        select(Duty)
        .where(Duty.ends_at > now)
        .options(selectinload(Duty.staff_member))
        .order_by(Duty.line, Duty.starts_at, Duty.position)
    ).all()


def add_rotation(
    session: Session,
    line: Line,
    staff_id: int,
    starts_at: datetime,
    ends_at: datetime,
    position: int = 0,
) -> Duty:
    """A person on call for ``line`` from ``starts_at`` until ``ends_at``, before the standing
    order (``position`` orders several rotations at once)."""
    if ends_at <= starts_at:
        raise Refused("rotation_ends_before_start", "a rotation must end after it starts")
    _ready_for_duty(session, staff_id)
    same = select(Duty.id).where(
        Duty.line == line, Duty.staff_member_id == staff_id, Duty.starts_at == starts_at
    )
    if session.scalars(same).first() is not None:
        raise Refused("rotation_exists", "this person already has a rotation starting then")
    rotation = Duty(
        line=line, staff_member_id=staff_id, position=position, starts_at=starts_at, ends_at=ends_at
    )
    session.add(rotation)
    session.flush()
    return rotation


def remove_rotation(session: Session, duty_id: int) -> None:
    rotation = session.get(Duty, duty_id)
    if rotation is None or rotation.ends_at is None:
        raise Refused("no_such_rotation", "no such rotation")
    session.delete(rotation)


def who_answers(session: Session, hours: BusinessHours, moment: datetime) -> list[Answer]:
    """Each line at ``moment``: its schedule's status and the people the phone line would ring."""
    answers = []
    for line in Line:
        rule = hours.line(line.value)
        calendar = business_time.calendar_for(session, hours, rule.schedule, moment)
        try:
            people = business_time.on_duty(session, hours, line.value, moment)
        except duty.Unstaffed:
            people = []
        answers.append(Answer(line, calendar.status(moment), people))
    return answers


def _ready_for_duty(session: Session, staff_id: int) -> StaffMember:
    """Someone who can be put on call: active, with a mobile for the pager and the CATA's ring."""
    member = session.get(StaffMember, staff_id)
    if member is None:
        raise Refused("no_such_staff", "no such staff member")
    if not member.active:
        raise Refused("inactive_on_duty", "%(name)s is inactive", name=member.name)
    if not member.mobile:
        raise Refused(
            "duty_needs_mobile",
            "%(name)s has no mobile number: the line could not ring or page them",
            name=member.name,
        )
    return member
