"""What every email to a client shares: the draft, its addressee, its sender, the deadline
written out, and the writing of it (``write``): a Notification row with a unique key (a retried
job writes and sends nothing twice) and a Message-ID made in advance, stored as an outgoing
``email_message``, so that a reply threads onto its ticket.

Only an answer to mail (``mail.replies``) can be the next turn of a mail loop: when its email
looks like one (``mail.loops``), it is written HELD, shown on the ticket with the reason, and
sent if a supervisor says so. Nothing else the policy promises a client is ever held.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.utils import make_msgid

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import tasks, tickets
from helpdesk.context import Context
from mail import intake, loops
from models import (
    Channel,
    Contact,
    DeliveryState,
    EmailMessage,
    Line,
    MailDirection,
    Notification,
    NotificationChannel,
    Ticket,
    TicketEventKind,
    current_time,
)
from time_words import clock, full_date

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Draft:
    key: str
    to: str
    subject: str
    text: str
    in_reply_to: str | None = None
    written_by_id: int | None = None  # a staff member's own words: a person's mail


def write(
    session: Session,
    context: Context,
    ticket: Ticket,
    draft: Draft,
    kind: str,
    *,
    answers: EmailMessage | None = None,
) -> list[int]:
    """The notification of ``draft`` (once), its outgoing email row, a line in the ticket's
    history. ``answers``: the email this one answers, whose signs of a mail loop hold it for a
    supervisor. Returns the ids to deliver (none when there is nobody to write to)."""
    existing = session.scalar(select(Notification).where(Notification.key == draft.key))
    if existing is not None:
        return [existing.id]
    if not draft.to:
        # The email gave no address we may answer (a malformed From, no valid Reply-To).
        tickets.note(ticket, TicketEventKind.EMAIL_OUT, what=kind, unsent="no_valid_address")
        return []
    settings = context.settings
    message_id = make_msgid(str(ticket.number), domain=intake.message_id_domain(settings)).strip(
        "<>"
    )
    sender = address_of_line(context, ticket.priority)
    hold = None
    if answers is not None:
        burst, minutes = settings.mail_loop_burst, settings.mail_loop_minutes
        hold = loops.hold_reason(session, answers, burst=burst, minutes=minutes)
    row = Notification(
        key=draft.key,
        channel=NotificationChannel.EMAIL,
        recipient=draft.to,
        contact_id=ticket.contact_id,
        ticket_id=ticket.id,
        sender=sender,
        written_by_id=draft.written_by_id,
        message_id=message_id,
        in_reply_to=draft.in_reply_to,
        subject=draft.subject[:300],
        body=draft.text,
        state=DeliveryState.PENDING if hold is None else DeliveryState.HELD,
        hold_reason=hold,
    )
    session.add(row)
    session.add(
        EmailMessage(
            message_id=message_id,
            direction=MailDirection.OUT,
            ticket_id=ticket.id,
            from_address=sender,
            to_addresses=draft.to,
            subject=draft.subject[:300],
            text=draft.text,
            outcome="held" if hold else "sent",
            source="job",
            received_at=current_time(session),
        )
    )
    session.flush()
    tickets.note(ticket, TicketEventKind.EMAIL_OUT, what=kind, notification_id=row.id)
    if hold is not None:
        log.warning("answer %s held for a supervisor: %s (a possible mail loop)", kind, hold)
        tasks.tell_held(session, row.id)
    return [row.id]


def addressee(session: Session, ticket_id: int | None) -> tuple[Ticket, Contact, str] | None:
    """The ticket, its contact and the address to write to; None when there is none."""
    ticket = session.get(Ticket, ticket_id) if ticket_id else None
    contact = session.get(Contact, ticket.contact_id) if ticket and ticket.contact_id else None
    if ticket is None or contact is None or not contact.email:
        return None
    return ticket, contact, contact.email.lower()


def address_of_line(context: Context, line: Line) -> str:
    """Client mail comes from the address of the ticket's line, the one the client writes to."""
    settings = context.settings
    return settings.support_email_urgent if line == Line.URGENT else settings.support_email_regular


def due(context: Context, ticket: Ticket, language: str) -> str:
    """The ticket's deadline in Montreal time, written out: "le mardi 1er décembre 2026 à
    14 h"."""
    if ticket.sla_due_at is None:
        return context.notices.render("unknown", language)
    local = ticket.sla_due_at.astimezone(context.hours.timezone)
    return context.client_texts.render(
        "at",
        language,
        day=full_date(local.date(), language),
        time=clock(local.hour * 60 + local.minute, language),
    )


def subject(context: Context, ticket: Ticket, language: str) -> str:
    """The subject of every email about the ticket, the same on each: "[#1009] Erreur de paie —
    T4". Gmail and Outlook keep a conversation together only while its subject stays the same
    (a "Re:" aside), and the intake threads an answer by its ``[#1009]``."""
    texts = context.client_texts
    if ticket.channel == Channel.PHONE:  # who called, kept for the console: not a subject
        words = texts.render("phone_subject", language)
    else:
        words = ticket.written_subject or texts.render("no_subject", language)
    return texts.render("ticket_subject", language, number=ticket.number, subject=words)


def first_message_id(session: Session, ticket_id: int) -> str | None:
    """The Message-ID of the ticket's first email, in or out: the root its mail threads on."""
    return session.scalar(
        select(EmailMessage.message_id)
        .where(EmailMessage.ticket_id == ticket_id)
        .order_by(EmailMessage.received_at, EmailMessage.id)
        .limit(1)
    )


def ticket_of(session: Session, inbound: EmailMessage | None) -> Ticket | None:
    return session.get(Ticket, inbound.ticket_id) if inbound and inbound.ticket_id else None


def language_of(ticket: Ticket) -> str:
    """The language of a ticket's emails to its client: the one the request was made in (chosen
    on the phone for the call that opened it, their contact's for an email), so that a language
    chosen for one call changes neither the contact nor their other tickets."""
    return ticket.language.value
