"""The emails a ticket's contact gets without having written: the written trace of a ticket
opened by phone, the notice of one intervention on their ticket (a callback that reached them,
a public note, the ticket resolved again or reopened, time logged), and the email that says a
ticket is resolved (and so "closed", for the client) with the link to its survey.

In the ticket's language (the one its client chose on the phone, or their contact's for an
email: mail.letters.language_of), once per occasion (the notification's key), marked automatic
(but a public note: a technician's own words are a person's mail), never held (they follow a
staff act, not a client's email), and threaded under the ticket's first message, so that the
client's mail program shows the whole ticket as one conversation.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import interventions, surveys, time_entries
from helpdesk.context import Context
from helpdesk.interventions import Intervention
from mail import letters, work_done
from models import (
    Call,
    CallRing,
    StaffMember,
    Survey,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    TimeEntry,
    WhisperAnswer,
)
from settings import Settings
from time_words import clock


def confirmation(session: Session, context: Context, ticket_id: int) -> list[int]:
    """A ticket opened by phone, in writing to its contact (when they have an email): its
    number and the callback promise; or, when a technician took the call and talked with the
    client, who did and when, and no promise (the client was reached)."""
    found = letters.addressee(session, ticket_id)
    if found is None:
        return []
    ticket, _contact, email = found
    texts, language = context.client_texts, letters.language_of(ticket)
    values = {
        "number": ticket.number,
        "due": letters.due(context, ticket, language),
        "line": texts.render(f"line_{ticket.priority.value}", language),
    }
    answered = answered_live(session, ticket)
    body = "confirm_body"
    if answered is not None:
        name, moment = answered
        local = moment.astimezone(context.hours.timezone)
        values |= {"name": name, "time": clock(local.hour * 60 + local.minute, language)}
        body = "confirm_answered_body"
    draft = letters.Draft(
        key=f"ticket-{ticket_id}-confirmation",
        to=email,
        subject=letters.subject(context, ticket, language),
        text=texts.render(body, language, **values),
    )
    return letters.write(session, context, ticket, draft, "confirmation")


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


def intervention(
    session: Session,
    context: Context,
    ticket_id: int,
    kind: str,
    occasion: str,
    event_id: int | None = None,
    entry_id: int | None = None,
) -> list[int]:
    """The notice of intervention ``occasion`` to the ticket's contact; a public note is the
    technician's own message (``event_id``: its history entry), time logged says what was done
    and what it cost (``entry_id``: the time entry)."""
    found = letters.addressee(session, ticket_id)
    if found is None:
        return []
    ticket, _contact, email = found
    texts, language = context.client_texts, letters.language_of(ticket)
    values = {"number": ticket.number}
    author = None
    if kind == Intervention.NOTE:
        note = _public_note(session, context, ticket, event_id, language)
        if note is None:
            return []
        text, author = note
    else:
        entry = session.get(TimeEntry, entry_id) if entry_id is not None else None
        if entry is not None and time_entries.corrected_by(session, entry.id) is not None:
            return []  # corrected before its notice left: the correction's notice tells it
        what = (
            work_done.details(session, context, entry, ticket.number, language)
            if entry is not None
            else texts.render(f"notice_{kind}", language, **values)
        )
        if kind == Intervention.RESOLVED and (
            said := _summary(session, context, ticket.id, language, event_id)
        ):
            what += "\n" + said.rstrip("\n")  # a paragraph of its own
        text = texts.render("notice_body", language, **values, what=what)
    draft = letters.Draft(
        key=interventions.notice_key(ticket_id, occasion),
        to=email,
        subject=letters.subject(context, ticket, language),
        text=text,
        in_reply_to=letters.first_message_id(session, ticket_id),
        written_by_id=author,
    )
    return letters.write(session, context, ticket, draft, f"notice-{kind}")


def survey_invitation(session: Session, context: Context, survey_id: int) -> list[int]:
    """Tell the resolved ticket's contact it is resolved, with the link to its survey and
    the window in which an answer reopens it, in the ticket's language."""
    survey = session.get(Survey, survey_id)
    found = letters.addressee(session, survey.ticket_id if survey else None)
    if survey is None or found is None:
        return []
    ticket, _contact, email = found
    texts, language = context.client_texts, letters.language_of(ticket)
    values = {"number": ticket.number}
    draft = letters.Draft(
        key=surveys.invitation_key(ticket.id),
        to=email,
        subject=letters.subject(context, ticket, language),
        text=texts.render(
            "survey_body",
            language,
            **values,
            link=survey_link(context.settings, survey.token, language),
            days=surveys.LINK_LIFETIME.days,
            if_unsolved=_if_unsolved(context, ticket, language),
            summary=_summary(session, context, ticket.id, language),
        ),
        in_reply_to=letters.first_message_id(session, ticket.id),
    )
    return letters.write(session, context, ticket, draft, "survey")


def _summary(
    session: Session, context: Context, ticket_id: int, language: str, event_id: int | None = None
) -> str:
    """How the ticket was solved, as the technician put it for the client when resolving it
    (the resolution ``event_id``, else the latest), as a paragraph of its own; "" if not said."""
    if event_id is None:
        event_id = session.scalar(
            select(TicketEvent.id)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == TicketEventKind.RESOLVED)
            .order_by(TicketEvent.id.desc())
            .limit(1)
        )
    event = session.get(TicketEvent, event_id) if event_id is not None else None
    words = str(event.data.get("summary", "")) if event is not None else ""
    words = words.replace("\r\n", "\n").replace("\r", "\n").strip()
    return (
        context.client_texts.render("resolution_summary", language, summary=words) if words else ""
    )


def _if_unsolved(context: Context, ticket: Ticket, language: str) -> str:
    """What answering does: a resolved ticket reopens within the window; one already closed
    for good (closed at once, not resolved first) is followed by a new ticket (mail.intake)."""
    if ticket.status == TicketStatus.CLOSED:
        return context.client_texts.render("unsolved_new_ticket", language)
    return context.client_texts.render(
        "unsolved_reopens", language, reopen=context.settings.reopen_days
    )


def survey_link(settings: Settings, token: str, language: str) -> str:
    """The survey's public page, under PUBLIC_BASE_URL (a developer's machine: its own port)."""
    base = settings.public_base_url.rstrip("/") or f"http://127.0.0.1:{settings.port}"
    return f"{base}/survey/{token}?lang={language}"


def _public_note(
    session: Session, context: Context, ticket: Ticket, event_id: int | None, language: str
) -> tuple[str, int | None] | None:
    """A public note as its technician wrote it, signed with their name: plain paragraphs (the
    HTML part escapes them, ``sending.smtp.as_html``), never set off as a quotation; and who
    wrote it (a person's mail is not marked automatic)."""
    event = session.get(TicketEvent, event_id) if event_id is not None else None
    if event is None:
        return None
    author = session.get(StaffMember, event.staff_member_id) if event.staff_member_id else None
    # A note typed in a browser comes with CRLF line ends: paragraphs are split on blank lines.
    words = str(event.data.get("text", "")).replace("\r\n", "\n").replace("\r", "\n").strip()
    text = context.client_texts.render(
        "note_body",
        language,
        note=words,
        name=author.name if author is not None else "AltiLogix",
        number=ticket.number,
    )
    return text, event.staff_member_id
