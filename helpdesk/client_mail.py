"""Jobs that email clients' contacts: the acknowledgement of an emailed request, the reply to
somebody not authorized, the written trace of a ticket opened by phone.

Each email is a Notification row with a unique key (a retried job writes and sends nothing
twice) and a Message-ID made in advance and stored as an outgoing ``email_message``, so that a
reply threads onto its ticket. Only an answer to mail (the acknowledgement, the reply to a
stranger) can be the next turn of a mail loop: when its email looks like one
(``helpdesk.mail_loops``), it is written HELD, shown on the ticket with the reason, and sent if
a supervisor says so. Nothing else the policy promises a client is ever held.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from email.utils import make_msgid

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import mail_loops, notify, tasks, tickets
from helpdesk.context import Context
from helpdesk.email_intake import NO_SUBJECT, message_id_domain
from models import (
    Call,
    CallRing,
    Contact,
    DeliveryState,
    EmailAttachment,
    EmailMessage,
    Line,
    MailDirection,
    Notification,
    NotificationChannel,
    StaffMember,
    Ticket,
    TicketEventKind,
    WhisperAnswer,
    current_time,
)
from time_words import clock, day_and_date

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Draft:
    key: str
    to: str
    subject: str
    text: str
    in_reply_to: str | None = None


def acknowledge(context: Context, email_id: int) -> None:
    """Job: the policy's acknowledgement of an authorized contact's email, in their language,
    with the ticket's number and its deadline, and the files set aside if any. It says staff
    were told by email and pager: it is queued once their notices have left (or failed)."""
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
        text += _set_aside(session, context, inbound, language)
        draft = Draft(
            key=f"email-{email_id}-acknowledgement",
            to=inbound.answer_to,
            subject=texts.render("ack_subject", language, **values),
            text=text,
            in_reply_to=inbound.message_id,
        )
        ids = write(session, context, ticket, draft, "acknowledgement", answers=inbound)
    notify.deliver(context, ids)


def _set_aside(session: Session, context: Context, inbound: EmailMessage, language: str) -> str:
    """The sentence that tells the client which files did not fit, if any did not."""
    names = session.scalars(
        select(EmailAttachment.filename)
        .where(EmailAttachment.email_id == inbound.id, EmailAttachment.content.is_(None))
        .order_by(EmailAttachment.position)
    ).all()
    if not names:
        return ""
    megabytes = f"{context.settings.mail_max_bytes / 1_048_576:.0f}"
    return "\n" + context.client_texts.render(
        "set_aside", language, files=", ".join(names), limit=megabytes
    )


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
            to=inbound.answer_to,
            subject=" / ".join(
                texts.render("unauthorized_subject", lang, subject=subject) for lang in languages
            )[:300],
            text="\n----\n\n".join(texts.render("unauthorized_body", lang) for lang in languages),
            in_reply_to=inbound.message_id,
        )
        ids = write(session, context, ticket, draft, "unauthorized", answers=inbound)
    notify.deliver(context, ids)


def confirm_ticket(context: Context, ticket_id: int) -> None:
    """Job: a ticket opened by phone, in writing to its contact (when they have an email): its
    number and the callback promise; or, when a technician took the call and talked with the
    client, who did and when, and no promise (the client was reached)."""
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
        answered = answered_live(session, ticket)
        body = "confirm_body"
        if answered is not None:
            name, moment = answered
            local = moment.astimezone(context.hours.timezone)
            values |= {"name": name, "time": clock(local.hour * 60 + local.minute, language)}
            body = "confirm_answered_body"
        draft = Draft(
            key=f"ticket-{ticket_id}-confirmation",
            to=email,
            subject=texts.render("confirm_subject", language, **values),
            text=texts.render(body, language, **values),
        )
        ids = write(session, context, ticket, draft, "confirmation")
    notify.deliver(context, ids)


def answered_live(session: Session, ticket: Ticket) -> tuple[str, datetime] | None:
    """The technician who accepted a call of the ticket and the moment they answered: the
    client talked with them, which is the ticket's first response."""
    found = session.execute(
        select(StaffMember.name, CallRing.answered_at)
        .join(CallRing, CallRing.staff_member_id == StaffMember.id)
        .join(Call, Call.id == CallRing.call_id)
        .where(
            Call.ticket_id == ticket.id,
            CallRing.answer == WhisperAnswer.ACCEPTED,
            CallRing.answered_at.is_not(None),
        )
        .order_by(CallRing.answered_at)
        .limit(1)
    ).first()
    if found is None or found.answered_at is None or ticket.first_response_at is None:
        return None
    return str(found.name), found.answered_at


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
    message_id = make_msgid(str(ticket.number), domain=message_id_domain(settings)).strip("<>")
    sender = address_of_line(context, ticket.priority)
    hold = None
    if answers is not None:
        burst, minutes = settings.mail_loop_burst, settings.mail_loop_minutes
        hold = mail_loops.hold_reason(session, answers, burst=burst, minutes=minutes)
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
    return [row.id]


def release(session: Session, notification_id: int, staff_member_id: int) -> bool:
    """A supervisor sends a held answer anyway: it is delivered as any other. False when it is
    not held (sent already, or never held)."""
    row = session.scalars(
        select(Notification).where(Notification.id == notification_id).with_for_update()
    ).first()
    if row is None or row.state != DeliveryState.HELD:
        return False
    row.state, row.released_by_id = DeliveryState.PENDING, staff_member_id
    row.released_at = current_time(session)
    tasks.deliver(session, row.id)
    return True


def address_of_line(context: Context, line: Line) -> str:
    """Client mail comes from the address of the ticket's line, the one the client writes to."""
    settings = context.settings
    return settings.support_email_urgent if line == Line.URGENT else settings.support_email_regular


def _ticket_of(session: Session, inbound: EmailMessage | None) -> Ticket | None:
    return session.get(Ticket, inbound.ticket_id) if inbound and inbound.ticket_id else None


def _language(session: Session, ticket: Ticket) -> str:
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    return (contact.language if contact else ticket.language).value
