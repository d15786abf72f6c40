"""The rules of a ticket, in one place: which acts each state allows, and who may open it.

The ticket's page asks ``acts`` which buttons to show; the services and the console's acts
``require`` the same table, so a page left open that posts an act the ticket no longer allows
gets a refusal that says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from sqlalchemy import ColumnElement, Select, and_, or_, select, true
from sqlalchemy.orm import Session

from models import Duty, Line, Ticket, TicketStatus
from refusals import Refused


class TicketStateError(Refused):
    """An act that the ticket's state does not allow; the key says which act, the values why."""


class Act(StrEnum):
    TAKE = "take"
    CALL_BACK = "call_back"
    CALLED_BACK = "called_back"  # a technician reached the client from their own phone
    NOTE = "note"
    CHANGE_PRIORITY = "change_priority"
    LOG_TIME = "log_time"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"


_OPEN_ACTS = frozenset(Act) - {Act.REOPEN}
# What each state allows. Resolved is "closed" for the client, who is told: no more callbacks
# or changes of priority, but staff may still log the time it took, and close it for good.
ALLOWED: Mapping[TicketStatus, frozenset[Act]] = MappingProxyType(
    {
        TicketStatus.OPEN: _OPEN_ACTS,
        TicketStatus.RESOLVED: frozenset({Act.NOTE, Act.LOG_TIME, Act.CLOSE, Act.REOPEN}),
        TicketStatus.CLOSED: frozenset({Act.NOTE, Act.REOPEN}),
    }
)
# How a refusal names the act: "ticket 1001 is closed: cannot resolve it".
_SAID = {
    Act.CALL_BACK: "call back for",
    Act.CALLED_BACK: "note a callback on",
    Act.NOTE: "annotate",
    Act.CHANGE_PRIORITY: "change the priority of",
    Act.LOG_TIME: "log time on",
}


def acts(ticket: Ticket, staff_member_id: int) -> frozenset[Act]:
    """What this staff member may do to the ticket now: its state's acts, less taking a ticket
    already theirs, and noting a callback once the client was reached."""
    allowed = set(ALLOWED[ticket.status])
    if ticket.assignee_id == staff_member_id:
        allowed.discard(Act.TAKE)
    if ticket.first_response_at is not None:
        allowed.discard(Act.CALLED_BACK)
    return frozenset(allowed)


def awaits_callback(ticket: Ticket) -> bool:
    """Whether the ticket still waits for the callback its notices ask for: open, and its
    client not reached yet. A notice put off to the line's opening, or a supervisor's warning,
    that finds it otherwise is not sent: nobody starts the day calling back a client already
    helped."""
    return ticket.status == TicketStatus.OPEN and ticket.first_response_at is None


def require(ticket: Ticket, act: Act) -> None:
    """Refuse an act the ticket's state does not allow."""
    if act not in ALLOWED[ticket.status]:
        said = _SAID.get(act, act.value)
        raise TicketStateError(
            f"cannot_{act.value}",
            f"ticket %(number)s is %(status)s: cannot {said} it",
            number=ticket.number,
            status=ticket.status.value,
        )


def openable_by(staff_member_id: int, supervisor: bool, now: datetime) -> ColumnElement[bool]:
    """Who may open a ticket, as a condition on tickets: supervisors open any ticket; a
    technician, a ticket assigned to them, or one of a line they are on duty for now (never a
    message to verify). The ticket list shows exactly these."""
    if supervisor:
        return true()
    return or_(
        Ticket.assignee_id == staff_member_id,
        and_(Ticket.to_verify.is_(False), Ticket.priority.in_(duty_lines(staff_member_id, now))),
    )


def may_open(
    session: Session, staff_member_id: int, supervisor: bool, ticket: Ticket, now: datetime
) -> bool:
    """Whether this staff member may open this ticket (``openable_by``, in one query)."""
    if supervisor:
        return True
    allowed = openable_by(staff_member_id, supervisor, now)
    return session.scalar(select(Ticket.id).where(Ticket.id == ticket.id, allowed)) is not None


def duty_lines(staff_member_id: int, now: datetime) -> Select[Line]:
    """The lines whose on-call order names this person now (a standing place or a rotation)."""
    return select(Duty.line).where(
        Duty.staff_member_id == staff_member_id,
        or_(Duty.starts_at.is_(None), Duty.starts_at <= now),
        or_(Duty.ends_at.is_(None), Duty.ends_at > now),
    )
