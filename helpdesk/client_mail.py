"""Jobs that email clients' contacts: the acknowledgement of an emailed request, the reply to
somebody not authorized, the written trace of a ticket opened by phone.

Each email is a Notification row with a unique key (a retried job writes and sends nothing
twice) and a Message-ID made in advance and stored as an outgoing ``email_message``, so that a
reply threads onto its ticket. Automatic mail to one address is capped per hour: past the cap
the row is written WITHHELD and never sent, a backstop against a mail loop nobody recognized.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from email.utils import make_msgid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpdesk import notify, tickets
from helpdesk.context import Context
from helpdesk.email_intake import NO_SUBJECT, message_id_domain
from models import (
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
from time_words import clock, day_and_date

log = logging.getLogger(__name__)
CAP_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Draft:
    key: str
    to: str
    subject: str
    text: str
    in_reply_to: str | None = None


def acknowledge(context: Context, email_id: int) -> None:
    """Job: the policy's acknowledgement of an authorized contact's email, in their language,
    with the ticket's number and its deadline."""
    with context.transaction() as session:
        inbound = session.get(EmailMessage, email_id)
        ticket = _ticket_of(session, inbound)
        if inbound is None or ticket is None:
            return
        texts, language = context.client_texts, _language(session, ticket)
        values = {"number": ticket.number, "subject": inbound.subject or NO_SUBJECT}
        text = texts.render(f"ack_{ticket.priority.value}", language)
        text += "\n" + texts.render(
            "ticket_facts", language, **values, due=due(context, ticket, language)
        )
        draft = Draft(
            key=f"email-{email_id}-acknowledgement",
            to=inbound.from_address,
            subject=texts.render("ack_subject", language, **values),
            text=text,
            in_reply_to=inbound.message_id,
        )
        ids = write(session, context, ticket, draft, "acknowledgement")
    notify.deliver(context, ids)


def answer_unauthorized(context: Context, email_id: int) -> None:
    """Job: tell the sender that only the client's designated contacts may open requests. No
    promise is made. A sender the directory does not know reads it in French and English."""
    with context.transaction() as session:
        inbound = session.get(EmailMessage, email_id)
        ticket = _ticket_of(session, inbound)
        if inbound is None or ticket is None:
            return
        texts, subject = context.client_texts, inbound.subject or NO_SUBJECT
        languages = [_language(session, ticket)] if ticket.contact_id else ["fr", "en"]
        draft = Draft(
            key=f"email-{email_id}-unauthorized",
            to=inbound.from_address,
            subject=" / ".join(
                texts.render("unauthorized_subject", lang, subject=subject) for lang in languages
            )[:300],
            text="\n----\n\n".join(texts.render("unauthorized_body", lang) for lang in languages),
            in_reply_to=inbound.message_id,
        )
        ids = write(session, context, ticket, draft, "unauthorized")
    notify.deliver(context, ids)


def confirm_ticket(context: Context, ticket_id: int) -> None:
    """Job: a ticket opened by phone, in writing to its contact (when they have an email)."""
    with context.transaction() as session:
        found = addressee(session, ticket_id)
        if found is None:
            return
        ticket, contact, email = found
        texts, language = context.client_texts, contact.language.value
        values = {
            "number": ticket.number,
            "due": due(context, ticket, language),
            "line": texts.render(f"line_{ticket.priority.value}", language),
        }
        draft = Draft(
            key=f"ticket-{ticket_id}-confirmation",
            to=email,
            subject=texts.render("confirm_subject", language, **values),
            text=texts.render("confirm_body", language, **values),
        )
        ids = write(session, context, ticket, draft, "confirmation")
    notify.deliver(context, ids)


def addressee(session: Session, ticket_id: int | None) -> tuple[Ticket, Contact, str] | None:
    """The ticket, its contact and the address to write to; None when there is none."""
    ticket = session.get(Ticket, ticket_id) if ticket_id else None
    contact = session.get(Contact, ticket.contact_id) if ticket and ticket.contact_id else None
    if ticket is None or contact is None or not contact.email:
        return None
    return ticket, contact, contact.email.lower()


def due(context: Context, ticket: Ticket, language: str) -> str:
    """The ticket's deadline in Montreal time, written out: "le mardi 1er décembre 2026 à
    14 h"."""
    if ticket.sla_due_at is None:
        return context.notices.render("unknown", language)
    local = ticket.sla_due_at.astimezone(context.hours.timezone)
    return context.client_texts.render(
        "at",
        language,
        day=f"{day_and_date(local.date(), language)} {local.year}",
        time=clock(local.hour * 60 + local.minute, language),
    )


def write(session: Session, context: Context, ticket: Ticket, draft: Draft, kind: str) -> list[int]:
    """The notification of ``draft`` (once), its outgoing email row, a line in the ticket's
    history; WITHHELD past the hourly cap. Returns the ids to deliver."""
    existing = session.scalar(select(Notification).where(Notification.key == draft.key))
    if existing is not None:
        return [existing.id]
    settings = context.settings
    message_id = make_msgid(str(ticket.number), domain=message_id_domain(settings)).strip("<>")
    sender = address_of_line(context, ticket.priority)
    capped = _over_cap(session, draft.to, settings.mail_replies_per_hour)
    row = Notification(
        key=draft.key,
        channel=NotificationChannel.EMAIL,
        recipient=draft.to,
        contact_id=ticket.contact_id,
        ticket_id=ticket.id,
        sender=sender,
        message_id=message_id,
        in_reply_to=draft.in_reply_to,
        subject=draft.subject[:300],
        body=draft.text,
        state=DeliveryState.WITHHELD if capped else DeliveryState.PENDING,
        last_error=f"over {settings.mail_replies_per_hour} automatic emails an hour"
        if capped
        else "",
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
            outcome="withheld" if capped else "sent",
            source="job",
            received_at=current_time(session),
        )
    )
    session.flush()
    tickets.note(
        ticket, TicketEventKind.EMAIL_OUT, what=kind, notification_id=row.id, capped=capped
    )
    if capped:
        log.warning("automatic email %s withheld: the hourly cap for its address is reached", kind)
    return [row.id]


def address_of_line(context: Context, line: Line) -> str:
    """Client mail comes from the address of the ticket's line, the one the client writes to."""
    settings = context.settings
    return settings.support_email_urgent if line == Line.URGENT else settings.support_email_regular


def _over_cap(session: Session, address: str, cap: int) -> bool:
    sent = session.scalar(
        select(func.count(Notification.id)).where(
            Notification.recipient == address,
            Notification.staff_member_id.is_(None),
            Notification.state != DeliveryState.WITHHELD,
            Notification.created_at >= current_time(session) - CAP_WINDOW,
        )
    )
    return (sent or 0) >= cap


def _ticket_of(session: Session, inbound: EmailMessage | None) -> Ticket | None:
    return session.get(Ticket, inbound.ticket_id) if inbound and inbound.ticket_id else None


def _language(session: Session, ticket: Ticket) -> str:
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    return (contact.language if contact else ticket.language).value
