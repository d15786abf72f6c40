"""The answers to a client's email: the acknowledgement of an authorized contact's request,
and the reply to somebody not authorized. Each can be the next turn of a mail loop, and is held
for a supervisor when it looks like one (``mail.letters.write``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.context import Context
from mail import letters
from mail.intake import NO_SUBJECT
from models import EmailAttachment, EmailMessage


def acknowledgement(session: Session, context: Context, email_id: int) -> list[int]:
    """The policy's acknowledgement of an authorized contact's email, in their language,
    with the ticket's number and its deadline, and the files set aside if any. It says staff
    were told by email and pager: it is written once their notices have left (or failed)."""
    inbound = session.get(EmailMessage, email_id)
    ticket = letters.ticket_of(session, inbound)
    if inbound is None or ticket is None:
        return []
    texts, language = context.client_texts, letters.language_of(session, ticket)
    values = {"number": ticket.number, "subject": inbound.subject or NO_SUBJECT}
    text = texts.render(f"ack_{ticket.priority.value}", language)
    text += "\n" + texts.render(
        "ticket_facts", language, **values, due=letters.due(context, ticket, language)
    )
    text += _set_aside(session, context, inbound, language)
    draft = letters.Draft(
        key=f"email-{email_id}-acknowledgement",
        to=inbound.answer_to,
        subject=texts.render("ack_subject", language, **values),
        text=text,
        in_reply_to=inbound.message_id,
    )
    return letters.write(session, context, ticket, draft, "acknowledgement", answers=inbound)


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


def unauthorized(session: Session, context: Context, email_id: int) -> list[int]:
    """Tell the sender that only the client's designated contacts may open requests. No
    promise is made. A sender the directory does not know reads it in French and English."""
    inbound = session.get(EmailMessage, email_id)
    ticket = letters.ticket_of(session, inbound)
    if inbound is None or ticket is None:
        return []
    texts, subject = context.client_texts, inbound.subject or NO_SUBJECT
    languages = [letters.language_of(session, ticket)] if ticket.contact_id else ["fr", "en"]
    draft = letters.Draft(
        key=f"email-{email_id}-unauthorized",
        to=inbound.answer_to,
        subject=" / ".join(
            texts.render("unauthorized_subject", lang, subject=subject) for lang in languages
        )[:300],
        text="\n----\n\n".join(texts.render("unauthorized_body", lang) for lang in languages),
        in_reply_to=inbound.message_id,
    )
    return letters.write(session, context, ticket, draft, "unauthorized", answers=inbound)
