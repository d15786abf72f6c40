"""Tickets: the acts of the helpdesk on a ticket, whichever door they come through (the phone
line, email, the console, the API).

Each function takes the caller's session, writes the ticket's history and the tasks the act
sets going in that one transaction, and returns what the door needs to answer. None commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, object_session

from helpdesk import business_time, calllog, interventions, surveys, tasks, ticket_rules
from helpdesk.context import Context
from helpdesk.interventions import Intervention
from helpdesk.ticket_rules import Act, TicketStateError
from models import (
    Call,
    Channel,
    Client,
    Contact,
    Counter,
    Language,
    Line,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    current_time,
)
from refusals import Refused
from routing import sla
from routing.calendar import Status
from routing.config import BusinessHours

TICKET_COUNTER = "ticket"
FIRST_NUMBER = 1001
# The longest note a technician may write (a pasted log fits).
NOTE_MAX_CHARS = 10_000
# How a ticket was solved, in a few words the resolution's email quotes to the client.
SUMMARY_MAX_CHARS = 2_000


@dataclass(frozen=True)
class Opened:
    ticket: Ticket
    status: Status  # the line's schedule when the ticket was opened: open, or closed and why


@dataclass(frozen=True)
class Requester:
    """Who asks: a contact of the directory, or somebody it does not name."""

    client_id: int | None
    contact_id: int | None
    address: str  # the phone number or email address the request came from
    language: Language


def sqlite_number(session: Session) -> dict[str, int]:
    """The new ticket's human number where the database does not give it, safe across
    processes.

    PostgreSQL numbers the ticket in its INSERT, from a sequence (the column's default, read
    back with RETURNING: no statement of its own, and no lock held to the end of the
    transaction, so concurrent calls do not wait on each other); SQLite, one writer at a time
    anyway, takes it from an atomic increment of the counter table.
    """
    if session.get_bind().dialect.name == "postgresql":
        return {}
    statement = sqlite_insert(Counter).values(name=TICKET_COUNTER, value=FIRST_NUMBER)
    number = session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"], set_={"value": Counter.value + 1}
        ).returning(Counter.value)
    ).scalar_one()
    return {"number": int(number)}


def deadline(
    session: Session, hours: BusinessHours, line: Line, start: datetime
) -> tuple[datetime, Status]:
    """The line's callback promise counted from ``start``, and the line's status then."""
    rule = hours.line(line.value)
    calendar = business_time.calendar_for(session, hours, rule.schedule, start)
    return sla.deadline(calendar, start, rule.callback_within), calendar.status(start)


def open_ticket(
    session: Session,
    hours: BusinessHours,
    requester: Requester,
    *,
    priority: Line,
    channel: Channel,
    subject: str,
    opened_at: datetime | None = None,
) -> Opened:
    """A request from an authorized contact: numbered, with the line's promise as deadline."""
    now = opened_at or current_time(session)
    due, status = deadline(session, hours, priority, now)
    ticket = _new(session, requester, priority, channel, subject, now, due=due)
    return Opened(ticket, status)


def open_to_verify(
    session: Session,
    requester: Requester,
    *,
    priority: Line,
    channel: Channel,
    subject: str,
    account: str | None = None,
) -> Ticket:
    """A request from somebody the directory does not authorize: no promise, nobody paged; the
    supervisors are told, and settle it."""
    ticket = _new(session, requester, priority, channel, subject, current_time(session), due=None)
    if account:
        note(ticket, TicketEventKind.ACCOUNT_GIVEN, account=account)
    tasks.ask_verification(session, ticket.id)
    return ticket


def _new(
    session: Session,
    requester: Requester,
    priority: Line,
    channel: Channel,
    subject: str,
    now: datetime,
    due: datetime | None,
) -> Ticket:
    """A numbered ticket; without a deadline, it waits for a supervisor's verification."""
    to_verify = due is None
    ticket = Ticket(
        **sqlite_number(session),
        priority=priority,
        channel=channel,
        language=requester.language,
        client_id=requester.client_id,
        contact_id=requester.contact_id,
        requester=requester.address,
        subject=subject[:300],
        to_verify=to_verify,
        sla_due_at=due,
        created_at=now,
    )
    session.add(ticket)
    session.flush()
    note(
        ticket,
        TicketEventKind.OPENED,
        priority=priority.value,
        channel=channel.value,
        to_verify=to_verify,
    )
    return ticket


def note(
    ticket: Ticket, kind: TicketEventKind, staff_member_id: int | None = None, **data: Any
) -> TicketEvent:
    """Add an entry to the ticket's history (without loading the history so far)."""
    session = object_session(ticket)
    assert session is not None, "the ticket must belong to a session"
    event = TicketEvent(
        ticket_id=ticket.id,
        kind=kind,
        at=current_time(session),
        staff_member_id=staff_member_id,
        data=data,
    )
    session.add(event)
    return event


def announce(ticket: Ticket, kind: Intervention, event: TicketEvent) -> None:
    """The client's notice of the intervention that ``event`` records: one per history entry."""
    session = object_session(ticket)
    assert session is not None, "the ticket must belong to a session"
    session.flush()  # the entry's id names the intervention
    quoted = event.id if kind in (Intervention.NOTE, Intervention.RESOLVED) else None
    interventions.announce(ticket, kind, interventions.event_occasion(event.id), event_id=quoted)


def add_note(ticket: Ticket, staff_member_id: int, text: str, *, public: bool) -> None:
    """A technician's note; a public one is meant for the client too, and emailed to them."""
    if not text.strip():
        raise Refused("empty_note", "a note needs some text")
    if len(text.strip()) > NOTE_MAX_CHARS:  # refused, not cut: the end of a note matters too
        raise Refused("note_too_long", "a note is at most %(n)d characters", n=NOTE_MAX_CHARS)
    event = note(ticket, TicketEventKind.NOTE, staff_member_id, text=text.strip(), public=public)
    if public:
        announce(ticket, Intervention.NOTE, event)


def newest_open_ticket_of(
    session: Session, contact_id: int, other_than: int | None = None
) -> Ticket | None:
    """The contact's newest open ticket (other than ``other_than``): one row, however many
    the contact has open."""
    query = select(Ticket).where(
        Ticket.contact_id == contact_id, Ticket.status == TicketStatus.OPEN
    )
    if other_than is not None:
        query = query.where(Ticket.id != other_than)
    return session.scalars(
        query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(1)
    ).first()


def parties(session: Session, ticket: Ticket) -> tuple[str | None, str | None]:
    """The names of the ticket's client and contact, when the directory knows them."""
    client = session.get(Client, ticket.client_id) if ticket.client_id else None
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    return (client.name if client else None), (contact.name if contact else None)


def assign(ticket: Ticket, staff_member_id: int, why: str) -> None:
    if ticket.assignee_id != staff_member_id:
        ticket.assignee_id = staff_member_id
        note(ticket, TicketEventKind.ASSIGNED, staff_member_id=staff_member_id, why=why)


def first_response(ticket: Ticket, moment: datetime, staff_member_id: int | None) -> bool:
    """The moment the client was reached: what the SLA measures. True the first time."""
    if ticket.first_response_at is not None:
        return False
    ticket.first_response_at = moment
    note(ticket, TicketEventKind.FIRST_RESPONSE, staff_member_id=staff_member_id)
    return True


def change_priority(
    session: Session,
    hours: BusinessHours,
    ticket: Ticket,
    priority: Line,
    *,
    reason: str,
    staff_member_id: int | None,
    now: datetime | None = None,
) -> None:
    """Regular ⇄ urgent. Until the client is reached, the deadline is the new line's promise
    counted from the moment of the change (made urgent: that, or the deadline it had, whichever
    comes first), and it is watched anew."""
    ticket_rules.require(ticket, Act.CHANGE_PRIORITY)
    if not reason.strip():
        raise Refused("priority_needs_reason", "a change of priority needs a reason")
    if ticket.priority == priority:
        return
    now = now or current_time(session)
    before, ticket.priority = ticket.priority, priority
    note(
        ticket,
        TicketEventKind.PRIORITY_CHANGED,
        staff_member_id,
        before=before.value,
        after=priority.value,
        reason=reason.strip()[:500],
    )
    if ticket.first_response_at is None and not ticket.to_verify:
        due, _ = deadline(session, hours, priority, now)
        if priority == Line.URGENT and ticket.sla_due_at is not None:
            due = min(due, ticket.sla_due_at)  # made urgent, it never waits longer than before
        ticket.sla_due_at = due
        _watch(session, hours, ticket, now, moved=True)
        if priority == Line.URGENT:
            _alert_urgent_team(session, hours, ticket, now)


def _alert_urgent_team(
    session: Session, hours: BusinessHours, ticket: Ticket, now: datetime
) -> None:
    """A ticket made urgent is the urgent team's: they are told (at the CATA's next opening
    when it is closed), and the supervisors are paged if it stays unanswered."""
    rule = hours.line(Line.URGENT.value)
    calendar = business_time.calendar_for(session, hours, rule.schedule, now)
    status = calendar.status(now)
    staff = business_time.people_on_duty(session, hours, Line.URGENT, now)
    occasion = f"urgent-{int(now.timestamp())}"
    run_at = now if status.is_open else status.opens_at
    tasks.notify(session, ticket.id, staff, tasks.Notice.NEW, occasion=occasion, run_at=run_at)
    if rule.escalate_after:
        tasks.escalate(session, ticket.id, sla.deadline(calendar, now, rule.escalate_after))


def _watch(
    session: Session, hours: BusinessHours, ticket: Ticket, start: datetime, *, moved: bool
) -> None:
    rule = hours.line(ticket.priority.value)
    if rule.warn_before and ticket.sla_due_at is not None:
        calendar = business_time.calendar_for(session, hours, rule.schedule, start)
        warn_at = sla.deadline(calendar, start, rule.callback_within - rule.warn_before)
        tasks.sla_watch(session, ticket.id, ticket.sla_due_at, warn_at, moved=moved)


def resolve(
    ticket: Ticket,
    staff_member_id: int | None,
    *,
    reopen_within: timedelta,
    now: datetime | None = None,
    summary: str = "",
) -> None:
    """The problem is solved: for the client the ticket is "résolu et donc « fermé »". They are
    told, and invited to the survey (one email, the first time; a notice when resolved again),
    which quotes ``summary``, how it was solved in the technician's words, if given. An answer
    within ``reopen_within`` reopens it; after that it is closed, internally."""
    ticket_rules.require(ticket, Act.RESOLVE)
    if len(summary.strip()) > SUMMARY_MAX_CHARS:  # refused, not cut: the client reads it all
        raise Refused(
            "summary_too_long",
            "a resolution's summary is at most %(n)d characters",
            n=SUMMARY_MAX_CHARS,
        )
    moment = now or current_time(ticket)
    ticket.status, ticket.resolved_at = TicketStatus.RESOLVED, moment
    told = {"summary": summary.strip()} if summary.strip() else {}
    event = note(ticket, TicketEventKind.RESOLVED, staff_member_id, **told)
    if not surveys.invite(ticket, now=moment):
        announce(ticket, Intervention.RESOLVED, event)
    session = object_session(ticket)
    assert session is not None, "the ticket must belong to a session"
    tasks.auto_close(session, ticket.id, moment, moment + reopen_within)


def close(
    ticket: Ticket,
    staff_member_id: int | None,
    *,
    reopen_within: timedelta,
    now: datetime | None = None,
) -> None:
    """Close a ticket for good, internally: a resolved one sends nothing more (the client was
    told at its resolution); an open one is resolved first, which tells the client."""
    ticket_rules.require(ticket, Act.CLOSE)
    moment = now or current_time(ticket)
    if ticket.status == TicketStatus.OPEN:
        resolve(ticket, staff_member_id, reopen_within=reopen_within, now=moment)
    ticket.status, ticket.closed_at = TicketStatus.CLOSED, moment
    note(ticket, TicketEventKind.CLOSED, staff_member_id)


def auto_close(context: Context, ticket_id: int, resolved_at: str) -> None:
    """Job: close a resolved ticket nobody reopened within the window; nothing is sent."""
    with context.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or ticket.status != TicketStatus.RESOLVED:
            return
        if ticket.resolved_at != datetime.fromisoformat(resolved_at):
            return  # reopened and resolved again since: that resolution has its own closing
        ticket.status, ticket.closed_at = TicketStatus.CLOSED, current_time(session)
        note(ticket, TicketEventKind.CLOSED, None, automatic=True)


def reopen(
    ticket: Ticket, staff_member_id: int | None, *, why: str = "", email_from: str = ""
) -> None:
    """``why``: a person's words; ``email_from``: the client whose email reopened it (the page
    says so in its reader's language)."""
    ticket_rules.require(ticket, Act.REOPEN)
    ticket.status, ticket.resolved_at, ticket.closed_at = TicketStatus.OPEN, None, None
    reason = {"email_from": email_from[:254]} if email_from else {"why": why[:500]}
    event = note(ticket, TicketEventKind.REOPENED, staff_member_id, **reason)
    if staff_member_id is not None:  # the client's own email reopening it needs no notice
        announce(ticket, Intervention.REOPENED, event)


def may_reopen_by_answer(ticket: Ticket, now: datetime, reopen_within: timedelta) -> bool:
    """Whether the client's answer reopens the ticket: resolved, within the window."""
    resolved = ticket.resolved_at
    return ticket.status == TicketStatus.RESOLVED and (
        resolved is not None and now - resolved <= reopen_within
    )


def settle_verification(
    session: Session,
    hours: BusinessHours,
    ticket: Ticket,
    *,
    client_id: int,
    contact_id: int,
    staff_member_id: int,
    now: datetime | None = None,
) -> None:
    """A supervisor attaches a message to verify to a client and contact: it becomes a normal
    ticket, whose promise starts now, and its follow-up (notices, watch) is queued."""
    if not ticket.to_verify:
        raise TicketStateError(
            "not_to_verify",
            "ticket %(number)s is not waiting for verification",
            number=ticket.number,
        )
    contact = session.get(Contact, contact_id)
    if contact is None or contact.client_id != client_id:
        raise TicketStateError("not_their_contact", "that contact is not one of that client's")
    now = now or current_time(session)
    ticket.to_verify, ticket.client_id, ticket.contact_id = False, client_id, contact_id
    if ticket.channel == Channel.PHONE:  # a phone ticket's subject is who called: now known
        ticket.subject = contact.name
    if not calllog.language_chosen_by_key(session, Call.ticket_id == ticket.id):
        # a caller's key on the call stays its language; else the contact's, now known
        ticket.language = contact.language
    ticket.sla_due_at, _ = deadline(session, hours, ticket.priority, now)
    note(ticket, TicketEventKind.VERIFIED, staff_member_id, contact_id=contact_id)
    tasks.follow_up(session, ticket.id, since=now)


def close_verification(ticket: Ticket, staff_member_id: int, *, reason: str) -> None:
    """A supervisor closes a message to verify without a ticket: the reason is kept."""
    if not ticket.to_verify:
        raise TicketStateError(
            "not_to_verify",
            "ticket %(number)s is not waiting for verification",
            number=ticket.number,
        )
    if not reason.strip():
        raise Refused("verification_needs_reason", "closing a message to verify needs a reason")
    note(ticket, TicketEventKind.VERIFICATION_CLOSED, staff_member_id, reason=reason[:500])
    ticket.status, ticket.closed_at = TicketStatus.CLOSED, current_time(ticket)
