"""The answers to a client's email: the acknowledgement of an authorized contact's request,
and the reply to somebody not authorized. Each can be the next turn of a mail loop, and is held
for a supervisor when it looks like one (``mail.letters.write``)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpdesk import tickets
from helpdesk.context import Context
from mail import letters
from mail.reading import trust
from mail.reading.headers import deliverable
from models import (
    EmailAttachment,
    EmailMessage,
    Notification,
    Ticket,
    TicketEventKind,
    current_time,
)

# The key of every reply to a stranger starts so: one per sender and day, counted per hour.
STRANGER_KEY = "stranger-answer-"
# The PostgreSQL advisory lock the hour's count of answers to strangers is taken under.
STRANGER_ANSWERS_LOCK = 0x414C5831  # "ALX1"


def acknowledgement(session: Session, context: Context, email_id: int) -> list[int]:
    """The policy's acknowledgement of an authorized contact's email, in the ticket's language,
    with the ticket's number and its deadline, and the files set aside if any. It says staff
    were told by email and pager: it is written once their notices have left (or failed)."""
    inbound = session.get(EmailMessage, email_id)
    ticket = letters.ticket_of(session, inbound)
    if inbound is None or ticket is None:
        return []
    texts, language = context.client_texts, letters.language_of(ticket)
    text = texts.render(f"ack_{ticket.priority.value}", language)
    text += "\n" + texts.render(
        "ticket_facts", language, number=ticket.number, due=letters.due(context, ticket, language)
    )
    text += _set_aside(session, context, inbound, ticket, language)
    draft = letters.Draft(
        key=f"email-{email_id}-acknowledgement",
        to=inbound.answer_to,
        subject=letters.subject(context, ticket, language),
        text=text,
        in_reply_to=inbound.message_id,
    )
    return letters.write(session, context, ticket, draft, "acknowledgement", answers=inbound)


def _set_aside(
    session: Session, context: Context, inbound: EmailMessage, ticket: Ticket, language: str
) -> str:
    """The sentence that tells the client which files did not fit, if any did not, and how to
    send a link to them: not by answering the acknowledgement, which says not to, but by a new
    email to the line's address that names the ticket in its subject, as the intake threads."""
    names = session.scalars(
        select(EmailAttachment.filename)
        .where(EmailAttachment.email_id == inbound.id, EmailAttachment.set_aside.is_not(None))
        .order_by(EmailAttachment.position)
    ).all()
    if not names:
        return ""
    megabytes = f"{context.settings.mail_max_bytes / 1_048_576:.0f}"
    return "\n" + context.client_texts.render(
        "set_aside",
        language,
        files=", ".join(names),
        limit=megabytes,
        address=letters.address_of_line(context, ticket.priority),
        number=ticket.number,
    )


def unauthorized(session: Session, context: Context, email_id: int) -> list[int]:
    """Tell the sender that only the client's designated contacts may open requests. No
    promise is made, and nothing of theirs is echoed (neither subject nor text): the answer
    cannot carry anybody's words to a third party. A sender the directory does not know reads
    it in French and English. Sent only as ``_why_not`` allows (the ticket says why not)."""
    inbound = session.get(EmailMessage, email_id)
    ticket = letters.ticket_of(session, inbound)
    if inbound is None or ticket is None:
        return []
    key = _daily_key(context, inbound)
    earlier = session.scalar(select(Notification).where(Notification.key == key))
    if earlier is not None and earlier.in_reply_to == inbound.message_id:
        return [earlier.id]  # this job again: deliver what it wrote
    why_not = "answered_today" if earlier is not None else _why_not(session, context, inbound)
    if why_not:
        tickets.note(ticket, TicketEventKind.EMAIL_OUT, what="unauthorized", unsent=why_not)
        return []
    texts = context.client_texts
    languages = [letters.language_of(ticket)] if ticket.contact_id else ["fr", "en"]
    draft = letters.Draft(
        key=key,
        to=inbound.from_address,
        subject=" / ".join(texts.render("unauthorized_subject", lang) for lang in languages),
        text="\n----\n\n".join(texts.render("unauthorized_body", lang) for lang in languages),
        in_reply_to=inbound.message_id,
    )
    return letters.write(session, context, ticket, draft, "unauthorized", answers=inbound)


def _why_not(session: Session, context: Context, inbound: EmailMessage) -> str:
    """Why no reply may go to this stranger ("" when one may): mail that failed
    authentication, no envelope sender or one that is not the From (the From may be anybody's), or
    the hour's replies spent (MAIL_STRANGER_ANSWERS_PER_HOUR, all senders together)."""
    if not trust.passed(inbound.authentication):
        return "not_authenticated"
    sender = inbound.from_address.lower()
    if deliverable(sender) and not inbound.return_path:
        return "no_envelope_sender"
    if not deliverable(sender) or inbound.return_path.lower() != sender:
        return "envelope_mismatch"
    if session.get_bind().dialect.name == "postgresql":
        # Workers answering strangers at once count in turn, so the cap is never passed
        # (SQLite has one writer at a time: a second count fails its write and is retried).
        session.execute(select(func.pg_advisory_xact_lock(STRANGER_ANSWERS_LOCK)))
    since = current_time(session) - timedelta(hours=1)
    sent = session.scalar(
        select(func.count(Notification.id)).where(
            Notification.key.startswith(STRANGER_KEY), Notification.created_at >= since
        )
    )
    return "hourly_cap" if (sent or 0) >= context.settings.mail_stranger_answers_per_hour else ""


def _daily_key(context: Context, inbound: EmailMessage) -> str:
    """One reply per sender and Montreal day: the key says whom (hashed) and which day."""
    day = inbound.received_at.astimezone(context.hours.timezone).date().isoformat()
    who = hashlib.sha256(inbound.from_address.lower().encode()).hexdigest()[:32]
    return f"{STRANGER_KEY}{who}-{day}"
