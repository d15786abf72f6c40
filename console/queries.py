"""Read-only queries of the console's pages. Each page runs a fixed number of statements,
whatever its length: related rows come by joins or one ``selectinload`` per relationship."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from console import conversation
from console.access import Viewer
from console.conversation import Sent
from helpdesk import business_time, interventions, surveys, ticket_rules
from models import (
    Call,
    CallbackRequest,
    Client,
    Contact,
    DeliveryState,
    EmailMessage,
    Line,
    MailDirection,
    Notification,
    Recording,
    StaffMember,
    Survey,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)
from routing.config import BusinessHours
from routing.standing import Aim, Clocks, Deadline, action_first, resolution_aim
from sending import delivery

WORKLIST_LIMIT = 500


@dataclass(frozen=True)
class TicketRow:
    ticket: Ticket
    client: str | None
    contact: str | None
    assignee: str | None
    deadline: Deadline
    aim: Aim | None = None  # the resolution aim of its line, if it has one
    reopened: bool = False  # its client said it was not solved, or somebody reopened it


def clocks(session: Session, hours: BusinessHours, now: datetime, since: datetime) -> Clocks:
    """Each line's calendar from ``since`` (the earliest deadline shown) on: 2 queries a line."""
    start = min(since, now)
    calendars = {
        line: business_time.calendar_for(session, hours, rule.schedule, start)
        for line, rule in hours.lines.items()
    }
    warnings = {line: rule.warn_before for line, rule in hours.lines.items()}
    return Clocks(now, calendars, warnings)


def lines_on_duty(session: Session, staff_id: int, now: datetime) -> set[Line]:
    """The lines whose on-call order names this person now (a standing place or a rotation)."""
    return set(session.scalars(ticket_rules.duty_lines(staff_id, now)))


def lines_of(session: Session, viewer: Viewer, now: datetime) -> set[Line]:
    """Supervisors watch every line; a technician, the lines they are on duty for."""
    return set(Line) if viewer.supervisor else lines_on_duty(session, viewer.id, now)


def openable_by(viewer: Viewer, now: datetime) -> ColumnElement[bool]:
    """The tickets this viewer may open (``helpdesk.ticket_rules.openable_by``)."""
    return ticket_rules.openable_by(viewer.id, viewer.supervisor, now)


def may_open(session: Session, viewer: Viewer, ticket: Ticket, now: datetime) -> bool:
    return ticket_rules.may_open(session, viewer.id, viewer.supervisor, ticket, now)


def _ticket_rows(
    session: Session, hours: BusinessHours, statement: Select[Any], now: datetime
) -> list[TicketRow]:
    assignee = aliased(StaffMember)
    rows = session.execute(
        statement.add_columns(Client.name, Contact.name, assignee.name)
        .outerjoin(Client, Client.id == Ticket.client_id)
        .outerjoin(Contact, Contact.id == Ticket.contact_id)
        .outerjoin(assignee, assignee.id == Ticket.assignee_id)
        .order_by(Ticket.sla_due_at.is_(None), Ticket.sla_due_at, Ticket.number)
    ).all()
    dues = [row[0].sla_due_at for row in rows if row[0].sla_due_at is not None]
    clock = clocks(session, hours, now, min(dues, default=now))
    reopened = _reopened(session, [row[0].id for row in rows])
    return [
        TicketRow(
            t, client, contact, who, deadline_of(clock, t), _aim(hours, t, now), t.id in reopened
        )
        for t, client, contact, who in rows
    ]


def _reopened(session: Session, ticket_ids: list[int]) -> set[int]:
    return set(
        session.scalars(
            select(TicketEvent.ticket_id).where(
                TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.kind == TicketEventKind.REOPENED
            )
        )
    )


def _aim(hours: BusinessHours, ticket: Ticket, now: datetime) -> Aim | None:
    if ticket.to_verify:  # nothing is promised before a supervisor verifies who wrote
        return None
    rule = hours.line(ticket.priority.value)
    return resolution_aim(rule, ticket.created_at, now, ticket.sla_due_at)


def deadline_of(clock: Clocks, ticket: Ticket) -> Deadline:
    """Where the ticket stands against its callback promise, by the clocks of a page."""
    return clock.deadline(
        ticket.priority.value,
        ticket.sla_due_at,
        ticket.first_response_at,
        ticket.to_verify,
        settled_at=None if ticket.status == TicketStatus.OPEN else ticket.resolved_at or clock.now,
    )


def worklist(
    session: Session, hours: BusinessHours, viewer: Viewer, now: datetime
) -> list[TicketRow]:
    """My open tickets and the unassigned ones of my lines, those that need action first
    (routing.standing), as on the SLA board."""
    lines = lines_of(session, viewer, now)
    mine_or_free = or_(
        Ticket.assignee_id == viewer.id,
        and_(Ticket.assignee_id.is_(None), Ticket.priority.in_(lines)),
    )
    statement = (
        select(Ticket)
        .where(Ticket.status == TicketStatus.OPEN, Ticket.to_verify.is_(False), mine_or_free)
        .limit(WORKLIST_LIMIT)
    )
    rows = _ticket_rows(session, hours, statement, now)
    return sorted(rows, key=lambda row: action_first(row.deadline))  # stable: then by number


def sla_board(session: Session, hours: BusinessHours, now: datetime) -> list[TicketRow]:
    """Every open ticket with a promise, those that need action first (routing.standing)."""
    statement = (
        select(Ticket)
        .where(Ticket.status == TicketStatus.OPEN, Ticket.to_verify.is_(False))
        .limit(WORKLIST_LIMIT)
    )
    rows = _ticket_rows(session, hours, statement, now)
    return sorted(rows, key=lambda row: action_first(row.deadline))  # stable: then by number


def staff_names(session: Session) -> dict[int, str]:
    return {
        ident: name for ident, name in session.execute(select(StaffMember.id, StaffMember.name))
    }


@dataclass(frozen=True)
class TicketPage:
    ticket: Ticket
    client: Client | None
    contact: Contact | None
    events: Sequence[TicketEvent]
    calls: Sequence[Call]
    recordings: Sequence[Recording]
    callbacks: Sequence[CallbackRequest]
    staff: dict[int, str]
    deadline: Deadline
    aim: Aim | None
    # By Twilio's recording sid, and by URL for messages kept before sids were (no sid).
    recordings_by_key: dict[str, Recording] = field(default_factory=dict)
    survey: Survey | None = None  # the client's satisfaction survey, once the ticket closed
    conversation: list[conversation.Entry] = field(default_factory=list)
    # The survey's invitation to the client, and what became of it (conversation.told).
    invitation: Sent | None = None
    invitation_told: str = ""


def find_ticket(session: Session, number: int) -> Ticket | None:
    return session.scalars(select(Ticket).where(Ticket.number == number)).first()


def ticket_page(
    session: Session, hours: BusinessHours, ticket: Ticket, now: datetime
) -> TicketPage:
    """Everything the ticket page shows: its parties, history, calls and messages."""
    client = session.get(Client, ticket.client_id) if ticket.client_id else None
    contact = (
        session.scalars(
            select(Contact)
            .where(Contact.id == ticket.contact_id)
            .options(selectinload(Contact.phones))
        ).first()
        if ticket.contact_id
        else None
    )
    events = session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    ).all()
    calls = session.scalars(
        select(Call)
        .where(Call.ticket_id == ticket.id)
        .options(selectinload(Call.events), selectinload(Call.rings))
        .order_by(Call.started_at, Call.id)
    ).all()
    recordings = session.scalars(
        select(Recording).where(Recording.ticket_id == ticket.id).order_by(Recording.id)
    ).all()
    callbacks = session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.ticket_id == ticket.id)
        .order_by(CallbackRequest.id)
    ).all()
    clock = clocks(session, hours, now, ticket.sla_due_at or now)
    by_key = {**{r.url: r for r in recordings}, **{r.sid: r for r in recordings if r.sid}}
    reachable = interventions.reaches_client(ticket, contact)
    invitation = _invitation(session, ticket, now)
    return TicketPage(
        ticket,
        client,
        contact,
        events,
        calls,
        recordings,
        callbacks,
        staff_names(session),
        deadline_of(clock, ticket),
        _aim(hours, ticket, now),
        by_key,
        surveys.of_ticket(session, ticket.id),
        conversation.read(session, ticket.id, events, by_key, reachable),
        invitation,
        conversation.told(invitation, reachable),
    )


def _invitation(session: Session, ticket: Ticket, now: datetime) -> Sent | None:
    """The email that invited the client to the ticket's survey, once written."""
    key = surveys.invitation_key(ticket.id)
    row = session.scalar(select(Notification).where(Notification.key == key))
    return conversation.as_sent(row, now) if row is not None else None


@dataclass(frozen=True)
class ToVerify:
    ticket: Ticket
    recordings: list[Recording]
    account_given: str | None  # what the caller keyed in as their account number
    authentication: str = ""  # why its email's sender was not authenticated, if it was not


def messages_to_verify(session: Session) -> list[ToVerify]:
    tickets = session.scalars(
        select(Ticket)
        .where(Ticket.to_verify.is_(True), Ticket.status == TicketStatus.OPEN)
        # The CATA's first: an urgent caller waits for this before their hour starts.
        .order_by(Ticket.priority != Line.URGENT, Ticket.created_at, Ticket.id)
        .limit(WORKLIST_LIMIT)
    ).all()
    ids = [t.id for t in tickets]
    recordings: dict[int, list[Recording]] = {}
    for recording in session.scalars(
        select(Recording).where(Recording.ticket_id.in_(ids)).order_by(Recording.id)
    ):
        recordings.setdefault(recording.ticket_id or 0, []).append(recording)
    given = session.execute(
        select(Call.ticket_id, Call.account_given).where(
            Call.ticket_id.in_(ids), Call.account_given.is_not(None)
        )
    )
    accounts = {ticket_id: account for ticket_id, account in given}
    failed = _failed_authentication(session, ids)
    return [
        ToVerify(t, recordings.get(t.id, []), accounts.get(t.id), failed.get(t.id, ""))
        for t in tickets
    ]


def _failed_authentication(session: Session, ticket_ids: list[int]) -> dict[int, str]:
    """Each ticket's first incoming email that failed authentication: why it failed."""
    rows = session.execute(
        select(EmailMessage.ticket_id, EmailMessage.authentication)
        .where(
            EmailMessage.ticket_id.in_(ticket_ids),
            EmailMessage.direction == MailDirection.IN,
            EmailMessage.authentication.not_in(("", "pass")),
        )
        .order_by(EmailMessage.id.desc())
    )
    return {ticket_id: why for ticket_id, why in rows if ticket_id is not None}


def clients_with_contacts(session: Session) -> Sequence[Client]:
    """Every client, its contacts and their numbers (three statements, whatever the count)."""
    return session.scalars(
        select(Client)
        .options(selectinload(Client.contacts).selectinload(Contact.phones))
        .order_by(Client.account)
    ).all()


def clients(session: Session) -> Sequence[tuple[str, str]]:
    rows = session.execute(select(Client.account, Client.name).order_by(Client.account))
    return [(account, name) for account, name in rows]


def staff(session: Session, ids: Iterable[int] | None = None) -> Sequence[StaffMember]:
    statement = select(StaffMember).order_by(StaffMember.name)
    if ids is not None:
        statement = statement.where(StaffMember.id.in_(list(ids)))
    return session.scalars(statement).all()


def contact(session: Session, contact_id: int) -> Contact | None:
    return session.get(Contact, contact_id)


# What the undelivered page lists: answers held for a supervisor, notices that could not be
# sent (refused for good, or failing still), and sends a worker's death cut (interrupted).
UNDELIVERED_STATES = (DeliveryState.HELD, DeliveryState.REFUSED, DeliveryState.FAILED)
UNDELIVERED_LIMIT = 500
INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class Undelivered:
    notification: Notification
    ticket_number: int | None
    staff_name: str | None  # the staff member it was for; None: the client
    interrupted: bool = False  # claimed for sending long ago, never recorded: it may have left


def _not_sent(now: datetime) -> ColumnElement[bool]:
    cut = and_(
        Notification.state == DeliveryState.SENDING,
        Notification.claimed_at < now - delivery.INTERRUPTED_AFTER,
    )
    return or_(Notification.state.in_(UNDELIVERED_STATES), cut)


def undelivered(session: Session, now: datetime) -> list[Undelivered]:
    """Held answers, failed notices and interrupted sends, newest first (one statement)."""
    rows = session.execute(
        select(Notification, Ticket.number, StaffMember.name)
        .outerjoin(Ticket, Ticket.id == Notification.ticket_id)
        .outerjoin(StaffMember, StaffMember.id == Notification.staff_member_id)
        .where(_not_sent(now))
        .order_by(Notification.id.desc())
        .limit(UNDELIVERED_LIMIT)
    )
    return [
        Undelivered(n, number, name, delivery.interrupted(n.state, n.claimed_at, now))
        for n, number, name in rows
    ]


def undelivered_counts(session: Session, now: datetime) -> dict[str, int]:
    """How many messages are held, refused, failing and interrupted (one statement)."""
    rows = session.execute(
        select(Notification.state, func.count(Notification.id))
        .where(_not_sent(now))
        .group_by(Notification.state)
    )
    counts = {state.value: 0 for state in UNDELIVERED_STATES} | {INTERRUPTED: 0}
    for state, count in rows:
        key = INTERRUPTED if state == DeliveryState.SENDING else state.value
        counts[key] = int(count)
    return counts
