"""Tickets: numbered, opened from a call or an email, with their history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, object_session

from models import (
    Channel,
    Contact,
    Counter,
    Language,
    Line,
    Ticket,
    TicketEvent,
    TicketStatus,
    utcnow,
)

TICKET_COUNTER = "ticket"
FIRST_NUMBER = 1001


def next_number(session: Session) -> int:
    """The next human ticket number, safe across processes.

    PostgreSQL takes it from a sequence (no lock held to the end of the transaction, so
    concurrent calls do not wait on each other); SQLite, one writer at a time anyway, from an
    atomic increment of the counter table.
    """
    if session.get_bind().dialect.name == "postgresql":
        return int(session.execute(text("SELECT nextval('ticket_number_seq')")).scalar_one())
    statement = sqlite_insert(Counter).values(name=TICKET_COUNTER, value=FIRST_NUMBER)
    number = session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"], set_={"value": Counter.value + 1}
        ).returning(Counter.value)
    ).scalar_one()
    return int(number)


def open_ticket(
    session: Session,
    *,
    priority: Line,
    channel: Channel,
    language: Language,
    client_id: int | None = None,
    contact_id: int | None = None,
    requester: str = "",
    subject: str = "",
    to_verify: bool = False,
    sla_due_at: datetime | None = None,
    opened_at: datetime | None = None,
) -> Ticket:
    ticket = Ticket(
        number=next_number(session),
        priority=priority,
        channel=channel,
        language=language,
        client_id=client_id,
        contact_id=contact_id,
        requester=requester,
        subject=subject,
        to_verify=to_verify,
        sla_due_at=None if to_verify else sla_due_at,
        created_at=opened_at or utcnow(),
    )
    session.add(ticket)
    session.flush()
    note(ticket, "opened", priority=priority.value, channel=channel.value, to_verify=to_verify)
    return ticket


def note(ticket: Ticket, kind: str, staff_member_id: int | None = None, **data: Any) -> None:
    """Add a typed entry to the ticket's history (without loading the history so far)."""
    session = object_session(ticket)
    assert session is not None, "the ticket must belong to a session"
    session.add(
        TicketEvent(
            ticket_id=ticket.id, kind=kind, at=utcnow(), staff_member_id=staff_member_id, data=data
        )
    )


def open_tickets_of(session: Session, contact: Contact) -> list[Ticket]:
    return list(
        session.scalars(
            select(Ticket)
            .where(Ticket.contact_id == contact.id, Ticket.status == TicketStatus.OPEN)
            .order_by(Ticket.created_at.desc())
        )
    )


def assign(ticket: Ticket, staff_member_id: int, why: str) -> None:
    if ticket.assignee_id != staff_member_id:
        ticket.assignee_id = staff_member_id
        note(ticket, "assigned", staff_member_id=staff_member_id, why=why)


def first_response(ticket: Ticket, moment: datetime, staff_member_id: int | None) -> None:
    """The moment the client was reached: what the SLA measures."""
    if ticket.first_response_at is None:
        ticket.first_response_at = moment
        note(ticket, "first_response", staff_member_id=staff_member_id)
