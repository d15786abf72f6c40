"""Jobs: the client's email notice of one intervention on their ticket (a callback that
reached them, a public note, the ticket resolved again or reopened, time logged), and the email
that says a ticket is resolved (and so "closed", for the client) with the link to its survey.

Sent to the ticket's contact in their language, through ``client_mail.write``: once per
intervention (the notification's key), marked automatic, never held (they follow a staff act,
not a client's email), and threaded under the ticket's first message (In-Reply-To and
References), so that the client's mail program shows the whole ticket as one conversation.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import client_mail, notify, surveys
from helpdesk.context import Context
from models import EmailMessage, Survey, TicketEvent
from settings import Settings


def send_notice(
    context: Context, ticket_id: int, kind: str, occasion: str, event_id: int | None = None
) -> None:
    """Job: email the notice of intervention ``occasion`` to the ticket's contact."""
    with context.transaction() as session:
        found = client_mail.addressee(session, ticket_id)
        if found is None:
            return
        ticket, contact, email = found
        texts, language = context.client_texts, contact.language.value
        values = {"number": ticket.number}
        what = texts.render(f"notice_{kind}", language, **values)
        draft = client_mail.Draft(
            key=f"ticket-{ticket_id}-notice-{occasion}",
            to=email,
            subject=texts.render("notice_subject", language, **values),
            text=texts.render(
                "notice_body", language, **values, what=what, note=_quoted(session, event_id)
            ),
            in_reply_to=first_message_id(session, ticket_id),
        )
        ids = client_mail.write(session, context, ticket, draft, f"notice-{kind}")
    notify.deliver(context, ids)


def invite_to_survey(context: Context, survey_id: int) -> None:
    """Job: tell the resolved ticket's contact it is resolved, with the link to its survey and
    the window in which an answer reopens it, in their language."""
    with context.transaction() as session:
        survey = session.get(Survey, survey_id)
        found = client_mail.addressee(session, survey.ticket_id if survey else None)
        if survey is None or found is None:
            return
        ticket, contact, email = found
        texts, language = context.client_texts, contact.language.value
        values = {"number": ticket.number}
        draft = client_mail.Draft(
            key=f"ticket-{ticket.id}-survey",
            to=email,
            subject=texts.render("survey_subject", language, **values),
            text=texts.render(
                "survey_body",
                language,
                **values,
                link=survey_link(context.settings, survey.token, language),
                days=surveys.LINK_LIFETIME.days,
                reopen=context.settings.reopen_days,
            ),
            in_reply_to=first_message_id(session, ticket.id),
        )
        ids = client_mail.write(session, context, ticket, draft, "survey")
    notify.deliver(context, ids)


def survey_link(settings: Settings, token: str, language: str) -> str:
    """The survey's public page, under PUBLIC_BASE_URL (a developer's machine: its own port)."""
    base = settings.public_base_url.rstrip("/") or f"http://127.0.0.1:{settings.port}"
    return f"{base}/survey/{token}?lang={language}"


def first_message_id(session: Session, ticket_id: int) -> str | None:
    """The Message-ID of the ticket's first email, in or out: the root its mail threads on."""
    return session.scalar(
        select(EmailMessage.message_id)
        .where(EmailMessage.ticket_id == ticket_id)
        .order_by(EmailMessage.received_at, EmailMessage.id)
        .limit(1)
    )


def _quoted(session: Session, event_id: int | None) -> str:
    """A public note's text, set off as a quotation; nothing for other interventions."""
    event = session.get(TicketEvent, event_id) if event_id is not None else None
    if event is None:
        return ""
    text = str(event.data.get("text", ""))
    return "\n" + "\n".join(f"> {line}" for line in text.splitlines()) + "\n"
