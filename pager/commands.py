"""The pager's other direction: a technician answers a page by SMS to the support number.

``OK 1234`` takes ticket 1234 (the others paged for it are told, the escalation is no longer
needed), ``OFF`` and ``ON`` leave and rejoin duty (``StaffMember.off_duty_since``, which the
roster in ``routing.duty`` passes by), ``STATUS`` lists the open tickets of their lines. An
unknown word gets the help text. A number that is no active staff member's mobile gets no answer
at all: the support number is public, and a client or a stranger must learn nothing of the
pager from it. Each staff member's SMS is a ``pager_reply`` row, once per Twilio MessageSid: a
reply delivered twice acts once and is answered the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

import i18n
from helpdesk import tasks, tickets
from helpdesk.context import Context
from models import (
    Client,
    Duty,
    Line,
    Notification,
    NotificationChannel,
    PagerReply,
    Role,
    StaffMember,
    Ticket,
    TicketStatus,
    current_time,
)
from phones import masked, to_e164
from sending.delivery import deliver
from time_words import sms_moment
from web import inputs

log = logging.getLogger(__name__)
STATUS_MAX_TICKETS = 8  # an SMS stays readable; the console has the rest
BODY_MAX_CHARS = 1600  # Twilio's own limit on a message's body


@dataclass(frozen=True)
class Sms:
    """An incoming SMS as Twilio posts it."""

    message_sid: str
    sender: str
    body: str


@dataclass(frozen=True)
class Texts:
    """What the answers are written with: the staff texts, Montreal's time zone."""

    catalog: i18n.Catalog
    zone: ZoneInfo


def receive(session: Session, texts: Texts, sms: Sms) -> str | None:
    """Act on a technician's SMS (once per MessageSid) and return the answer to send back;
    None, and nothing done or stored, for any number but an active staff member's mobile."""
    staff = _sender(session, sms.sender)
    if staff is None:
        log.info("pager: SMS from %s, no staff member's mobile: not answered", masked(sms.sender))
        return None
    seen = session.scalar(select(PagerReply).where(PagerReply.message_sid == sms.message_sid))
    if seen is not None:
        return seen.answer
    # Written before the act: a copy of this SMS arriving meanwhile waits on the MessageSid's
    # unique key, then fails, and its door answers with what this one stored.
    reply = PagerReply(
        message_sid=sms.message_sid,
        from_number=sms.sender[:32],
        staff_member_id=staff.id,
        body=sms.body[:BODY_MAX_CHARS],
    )
    session.add(reply)
    session.flush()
    reply.answer = _command(session, texts, staff, sms.body)
    return reply.answer


def _sender(session: Session, number: str) -> StaffMember | None:
    """The active staff member whose mobile sent it; nobody for any other number."""
    try:
        mobile = to_e164(number, field="SMS sender")
    except ValueError:
        return None
    return session.scalar(
        select(StaffMember).where(StaffMember.mobile == mobile, StaffMember.active.is_(True))
    )


Command = Callable[[Session, Texts, StaffMember, list[str]], str]


def _command(session: Session, texts: Texts, staff: StaffMember, body: str) -> str:
    words = body.replace("#", " ").upper().split()
    act = COMMANDS.get(words[0]) if words else None
    if act is None:
        return texts.catalog.render("pager_help", staff.language.value)
    return act(session, texts, staff, words[1:])


def _take(session: Session, texts: Texts, staff: StaffMember, rest: list[str]) -> str:
    render, language = texts.catalog.render, staff.language.value
    number = inputs.whole_number(rest[0]) if len(rest) == 1 else None
    if number is None:  # not a ticket number a ticket could have (OK 99999999999999999999)
        return render("pager_help", language)
    ticket = session.scalar(select(Ticket).where(Ticket.number == number).with_for_update())
    if ticket is None or ticket.to_verify or ticket.status != TicketStatus.OPEN:
        return render("pager_no_ticket", language, number=number)
    if ticket.assignee_id == staff.id:
        return render("pager_already_yours", language, number=number)
    if ticket.assignee_id is not None:
        holder = session.get(StaffMember, ticket.assignee_id)
        return render("pager_taken_by_other", language, number=number, name=_name(holder))
    if not may_take(session, staff, ticket):
        return render("pager_not_yours", language, number=number)
    take(session, ticket, staff)
    return render("pager_taken", language, number=number, client=_client(session, ticket))


def may_take(session: Session, staff: StaffMember, ticket: Ticket) -> bool:
    """The console's rule, by SMS: supervisors take any ticket; a technician, one they were
    told of, or one of a line they are on duty for now."""
    if staff.role == Role.SUPERVISOR or ticket.priority in lines_of(
        session, staff, current_time(session)
    ):
        return True
    told = session.scalar(
        select(Notification.id)
        .where(Notification.ticket_id == ticket.id, Notification.staff_member_id == staff.id)
        .limit(1)
    )
    return told is not None


def take(session: Session, ticket: Ticket, staff: StaffMember) -> None:
    """Assign the ticket to whoever answered its page; the escalation is then no longer needed
    (``sending.staff_notices.escalate`` does nothing for an assigned ticket); the others paged
    are told."""
    tickets.assign(ticket, staff.id, why="taken by SMS: no escalation needed")
    tasks.tell_taken(session, ticket.id, staff.id)


def _off(session: Session, texts: Texts, staff: StaffMember, _rest: list[str]) -> str:
    staff.off_duty_since = staff.off_duty_since or current_time(session)
    return texts.catalog.render("pager_off", staff.language.value)


def _on(session: Session, texts: Texts, staff: StaffMember, _rest: list[str]) -> str:
    staff.off_duty_since = None
    return texts.catalog.render("pager_on", staff.language.value)


def _status(session: Session, texts: Texts, staff: StaffMember, _rest: list[str]) -> str:
    render, language = texts.catalog.render, staff.language.value
    year = current_time(session).astimezone(texts.zone).year
    found = list(
        session.scalars(
            select(Ticket)
            .where(
                Ticket.status == TicketStatus.OPEN,
                Ticket.to_verify.is_(False),
                Ticket.priority.in_(lines_of(session, staff, current_time(session))),
            )
            .order_by(Ticket.sla_due_at, Ticket.number)
        )
    )
    if not found:
        return render("pager_status_none", language)
    listed = "; ".join(
        render(
            "pager_status_ticket",
            language,
            number=t.number,
            line=render(f"pager_line_{t.priority.value}", language),
            client=_client(session, t),
            due=_hour(t.sla_due_at, texts.zone, language, year),
        )
        for t in found[:STATUS_MAX_TICKETS]
    )
    more = " …" if len(found) > STATUS_MAX_TICKETS else ""
    return render("pager_status", language, count=len(found), tickets=listed + more)


def lines_of(session: Session, staff: StaffMember, moment: datetime) -> list[Line]:
    """A supervisor's lines are all of them; a technician's, those with a duty row in force."""
    if staff.role == Role.SUPERVISOR:
        return list(Line)
    duties = session.scalars(select(Duty).where(Duty.staff_member_id == staff.id))
    return sorted(
        {
            d.line
            for d in duties
            if (d.starts_at is None or d.starts_at <= moment)
            and (d.ends_at is None or moment < d.ends_at)
        }
    )


# The words a technician may send (French "STATUT" too), and what each does.
COMMANDS: dict[str, Command] = {
    "OK": _take,
    "OFF": _off,
    "ON": _on,
    "STATUS": _status,
    "STATUT": _status,
}


def tell_taken(context: Context, ticket_id: int, staff_member_id: int) -> None:
    """Job: tell the others paged for the ticket, by SMS, who took it (once each)."""
    with context.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        taker = session.get(StaffMember, staff_member_id)
        if ticket is None or taker is None:
            return
        ids = [
            _taken_sms(session, context, ticket, taker, person)
            for person in _paged(session, ticket, staff_member_id)
            if person.mobile
        ]
    deliver(context, ids)


def _paged(session: Session, ticket: Ticket, taker_id: int) -> list[StaffMember]:
    """Everyone paged (an SMS written) for the ticket, but the taker."""
    ids = session.scalars(
        select(Notification.staff_member_id)
        .where(
            Notification.ticket_id == ticket.id,
            Notification.channel == NotificationChannel.SMS,
            Notification.staff_member_id.is_not(None),
            Notification.staff_member_id != taker_id,
        )
        .order_by(Notification.id)
    )
    wanted = list(dict.fromkeys(ids))
    people = session.scalars(select(StaffMember).where(StaffMember.id.in_(wanted)))
    return sorted(people, key=lambda p: wanted.index(p.id))


def _taken_sms(
    session: Session, context: Context, ticket: Ticket, taker: StaffMember, person: StaffMember
) -> int:
    key = f"ticket-{ticket.id}-taken-{taker.id}-{person.id}-sms"
    row = session.scalar(select(Notification).where(Notification.key == key))
    if row is None:
        body = context.notices.render(
            "taken_sms",
            person.language.value,
            number=ticket.number,
            client=_client(session, ticket),
            name=taker.name,
        )
        row = Notification(
            key=key,
            channel=NotificationChannel.SMS,
            recipient=person.mobile or "",
            staff_member_id=person.id,
            ticket_id=ticket.id,
            body=body,
        )
        session.add(row)
        session.flush()
    return row.id


def _client(session: Session, ticket: Ticket) -> str:
    client = session.get(Client, ticket.client_id) if ticket.client_id else None
    return client.name if client else "?"


def _name(person: StaffMember | None) -> str:
    return person.name if person else "?"


def _hour(moment: datetime | None, zone: ZoneInfo, language: str, year: int) -> str:
    """ "lun. 7 déc. 12 h 25": never "12-01", which reads as January 12 in French."""
    return "?" if moment is None else sms_moment(moment, zone, language, this_year=year)
