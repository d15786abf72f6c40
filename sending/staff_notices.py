"""Jobs that tell staff about tickets: the technicians on duty, and the supervisors.

Each message is a Notification row with a unique key, written before it is sent (a job run
twice writes nothing twice), then handed to ``sending.delivery``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import callbacks, interventions, tasks, ticket_rules
from helpdesk.context import Context
from mail.reading.quoting import first_lines
from models import (
    Call,
    Channel,
    Client,
    Contact,
    DeliveryState,
    EmailAttachment,
    EmailMessage,
    Notification,
    NotificationChannel,
    Recording,
    Role,
    StaffMember,
    Survey,
    Ticket,
    TicketEvent,
    current_time,
)
from sending.delivery import deliver
from settings import Settings
from time_words import sms_moment

log = logging.getLogger(__name__)
EXCERPT_CHARS = 2000  # of a client's email, in the technicians' notice

# Which texts each kind of notice uses: (email subject, email body, SMS or None).
NOTICES = {
    "new": ("ticket_subject", "ticket_body", "ticket_sms"),
    "addition": ("addition_subject", "addition_body", None),
    "sla_warning": ("sla_warning_subject", "sla_warning_body", "sla_warning_sms"),
    "sla_late": ("sla_late_subject", "sla_late_body", "sla_late_sms"),
    "escalation": ("escalation_subject", "escalation_body", "escalation_sms"),
    "verify": ("verify_subject", "verify_body", None),
    "verify_email": ("verify_subject", "verify_email_body", None),
    "email": ("email_subject", "email_body", None),
    "reopened": ("reopened_subject", "email_body", None),
    "held": ("held_subject", "held_body", None),
    "refused": ("refused_subject", "refused_body", None),
    "unhappy": ("unhappy_subject", "unhappy_body", None),
}


def notify_ticket(
    context: Context,
    ticket_id: int,
    staff_ids: list[int],
    notice: str = "new",
    tag: str = "",
    only: str = "",
    email_id: int | None = None,
) -> None:
    """Job: tell the given staff about a ticket, by email and SMS (``only`` one of them)."""
    if notice not in NOTICES:
        raise ValueError(f"unknown notice {notice!r}")
    with context.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            log.warning("ticket %s is gone; nothing to notify", ticket_id)
            return
        # A call's notice may wait for the line's opening; an email's goes at once, and its
        # acknowledgement says that staff were told, so it is always sent.
        calls_notice = notice == "new" and ticket.channel != Channel.EMAIL
        if calls_notice and not ticket_rules.awaits_callback(ticket):
            log.info("ticket %s waits for no callback now: no new-ticket notice", ticket_id)
            staff_ids = []
        people = session.scalars(select(StaffMember).where(StaffMember.id.in_(staff_ids))).all()
        ordered = sorted(people, key=lambda p: staff_ids.index(p.id))
        ids = _write(session, context, ticket, ordered, notice, tag, only, email_id)
    try:
        deliver(context, ids)
    finally:
        if notice == "new" and not tag:
            _then_acknowledge(context, ticket_id)


def _then_acknowledge(context: Context, ticket_id: int) -> None:
    """An emailed request's acknowledgement says its staff were told by email and pager: it is
    queued once their notice has left, or failed (a failure is the supervisors' to see, and the
    client is not kept waiting for it)."""
    with context.transaction() as session:
        email_id = _request_email_id(session, ticket_id)
        if email_id is not None:
            tasks.acknowledge(session, email_id)


def _request_email_id(session: Session, ticket_id: int) -> int | None:
    """The email that opened the ticket, if an email did."""
    return session.scalar(
        select(EmailMessage.id)
        .where(EmailMessage.ticket_id == ticket_id, EmailMessage.outcome == "new_ticket")
        .limit(1)
    )


def sla_watch(context: Context, ticket_id: int, due: str | None = None) -> None:
    """Job: warn the supervisors if the ticket nears its deadline and nobody has reached the
    client. A watch of a deadline that has moved since does nothing."""
    _to_supervisors_if_unanswered(context, ticket_id, "sla_warning", due)


def escalate(context: Context, ticket_id: int) -> None:
    """Job: page the supervisors if an urgent ticket is still unanswered and nobody took it (a
    technician who answered the page "OK" by SMS, or took it in the console, is on it)."""
    _to_supervisors_if_unanswered(context, ticket_id, "escalation", None)


def ask_verification(context: Context, ticket_id: int) -> None:
    """Job: tell the supervisors (by email only: nobody is paged) of a message to verify."""
    with context.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            return
        notice = "verify_email" if ticket.channel == Channel.EMAIL else "verify"
        ids = _write(session, context, ticket, supervisors(session), notice, "")
    deliver(context, ids)


def tell_held(context: Context, notification_id: int) -> None:
    """Job: tell the supervisors (by email) that an answer to a client waits for one of them:
    held, it would otherwise leave only when somebody happens to look."""
    with context.transaction() as session:
        held = session.get(Notification, notification_id)
        if held is None or held.state != DeliveryState.HELD or held.ticket_id is None:
            return
        ticket = session.get(Ticket, held.ticket_id)
        if ticket is None:
            return
        reason = f"held_{held.hold_reason.value}" if held.hold_reason else "held_burst"

        def about(language: str) -> dict[str, Any]:
            said = context.notices.render(reason, language)
            return {"recipient": held.recipient, "reason": said}

        people = supervisors(session)
        ids = _write(session, context, ticket, people, "held", f"-{held.id}", more=about)
    deliver(context, ids)


def tell_refused(context: Context, notification_id: int) -> None:
    """Job: an email to a ticket's client was refused for good by a mail server: whoever answers
    for the ticket is told by email (once), with what did not reach the client, so that they
    phone them. Only the supervisors' page said so, and nobody reads it mid-ticket."""
    with context.transaction() as session:
        refused = session.get(Notification, notification_id)
        if refused is None or refused.state != DeliveryState.REFUSED or not refused.ticket_id:
            return
        ticket = session.get(Ticket, refused.ticket_id)
        if ticket is None:
            return
        reason = f"failure_{refused.failure}"
        reason = reason if reason in context.notices else "failure_refused"
        values = {
            "recipient": refused.recipient,
            "what": refused.subject,
            "reply": refused.last_error or "—",
            "text": _quoted(refused.body[:EXCERPT_CHARS]),
        }

        def about(language: str) -> dict[str, Any]:
            return values | {"reason": context.notices.render(reason, language)}

        people = answering_for(session, ticket, refused)
        ids = _write(session, context, ticket, people, "refused", f"-{refused.id}", more=about)
    deliver(context, ids)


def answering_for(session: Session, ticket: Ticket, sent: Notification) -> list[StaffMember]:
    """Who answers for what a ticket's client was sent: the ticket's assignee, else the author
    of the act it told of (a public note's), else the supervisors."""
    event_id = interventions.event_of_notice(sent.key)
    event = session.get(TicketEvent, event_id) if event_id is not None else None
    for staff_id in (ticket.assignee_id, event.staff_member_id if event else None):
        person = session.get(StaffMember, staff_id) if staff_id is not None else None
        if person is not None and person.active:
            return [person]
    return supervisors(session)


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.strip().splitlines())


def _to_supervisors_if_unanswered(
    context: Context, ticket_id: int, notice: str, due: str | None
) -> None:
    with context.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or not ticket_rules.awaits_callback(ticket) or ticket.to_verify:
            return
        if notice == "escalation" and ticket.assignee_id is not None:
            return
        if due is not None and ticket.sla_due_at != datetime.fromisoformat(due):
            return
        if notice == "sla_warning" and _passed(ticket, current_time(session)):
            notice = "sla_late"  # run late (a worker down at the time): "soon" would be false
        ids = _write(session, context, ticket, supervisors(session), notice, "")
    deliver(context, ids)


def _passed(ticket: Ticket, now: datetime) -> bool:
    return ticket.sla_due_at is not None and now >= ticket.sla_due_at


def tell_unhappy(context: Context, survey_id: int) -> None:
    """Job: tell the supervisors (by email) that a client gave a low score to the survey, with
    their comment: the time to call them is now, not at the month's report."""
    with context.transaction() as session:
        survey = session.get(Survey, survey_id)
        if survey is None or survey.score is None:
            return
        ticket = session.get(Ticket, survey.ticket_id)
        if ticket is None:
            return
        score, comment = survey.score, survey.comment

        def about(language: str) -> dict[str, Any]:
            said = comment or context.notices.render("none", language)
            return {"score": score, "comment": said}

        ids = _write(session, context, ticket, supervisors(session), "unhappy", "", more=about)
    deliver(context, ids)


def supervisors(session: Session) -> list[StaffMember]:
    return list(
        session.scalars(
            select(StaffMember)
            .where(StaffMember.role == Role.SUPERVISOR, StaffMember.active.is_(True))
            .order_by(StaffMember.id)
        )
    )


def _write(
    session: Session,
    context: Context,
    ticket: Ticket,
    people: Iterable[StaffMember],
    notice: str,
    tag: str,
    only: str = "",
    email_id: int | None = None,
    more: Callable[[str], dict[str, Any]] | None = None,
) -> list[int]:
    """Write the notifications of one notice (the ones not written yet); return their ids.
    ``more``: the notice's own values, in a reader's language."""
    subject_key, body_key, sms_key = NOTICES[notice]
    render = context.notices.render
    if email_id is None and notice == "new" and ticket.channel == Channel.EMAIL:
        email_id = _request_email_id(session, ticket.id)  # its files are the client's request's
    email = session.get(EmailMessage, email_id) if email_id is not None else None
    ids = []
    for person in people:
        language = person.language.value
        values = facts(session, context, ticket, language)
        values |= _email_facts(session, context, email, language)
        values |= more(language) if more else {}
        wanted = [(NotificationChannel.EMAIL, person.email, subject_key, body_key)]
        if sms_key and person.mobile:
            wanted.append((NotificationChannel.SMS, person.mobile, "", sms_key))
        for channel, recipient, subject, body in wanted:
            if only and channel.value != only:
                continue
            key = f"ticket-{ticket.id}-{notice}{tag}-{person.id}-{channel.value}"
            row = session.scalar(select(Notification).where(Notification.key == key))
            if row is None:
                row = Notification(
                    key=key,
                    channel=channel,
                    recipient=recipient,
                    staff_member_id=person.id,
                    ticket_id=ticket.id,
                    body=render(body, language, **values),
                    subject=render(subject, language, **values) if subject else "",
                )
                session.add(row)
                session.flush()
            ids.append(row.id)
    return ids


def facts(session: Session, context: Context, ticket: Ticket, language: str) -> dict[str, Any]:
    """What the texts say about a ticket, in the reader's language."""
    render = context.notices.render
    zone = context.hours.timezone
    year = current_time(session).astimezone(zone).year
    client = session.get(Client, ticket.client_id) if ticket.client_id else None
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    unknown = render("unknown", language)
    seconds = session.scalar(
        select(Recording.seconds)
        .where(Recording.ticket_id == ticket.id)
        .order_by(Recording.id.desc())
        .limit(1)
    )
    account = session.scalar(
        select(Call.account_given)
        .where(Call.ticket_id == ticket.id, Call.account_given.is_not(None))
        .limit(1)
    )
    return {
        "number": ticket.number,
        "line": render(f"line_{ticket.priority.value}", language),
        "client": client.name if client else unknown,
        "contact": contact.name if contact else unknown,
        # The number a callback would ring (the one they called from, else their contact's on
        # file: an email, a hidden caller ID), and the address or number they wrote from.
        "phone": callbacks.number_to_call(session, ticket) or ticket.requester or unknown,
        "address": ticket.requester or unknown,
        "due": _local(ticket.sla_due_at, zone, language, year) or unknown,
        "opened": _local(ticket.created_at, zone, language, year),
        "message": _message(context, ticket, seconds, language),
        "link": console_link(context.settings, ticket.number),
        "account": account or unknown,
        "subject": ticket.subject,
        "files": "",  # an email's files, when the notice is about one (_email_facts)
    }


def _message(context: Context, ticket: Ticket, seconds: int | None, language: str) -> str:
    """The client's own words, as far as a notice can carry them: the first lines of their
    email, or the length of the message they recorded (it plays in the console)."""
    if ticket.description.strip():
        return first_lines(ticket.description, ticket.subject)
    if seconds is not None:
        return context.notices.render("voice_message", language, seconds=seconds)
    return context.notices.render("none", language)


def console_link(settings: Settings, number: int) -> str:
    """The ticket's page in the console, under PUBLIC_BASE_URL (a developer's: its own port)."""
    base = settings.public_base_url.rstrip("/") or f"http://127.0.0.1:{settings.port}"
    return f"{base}/console/tickets/{number}"


def _email_facts(
    session: Session, context: Context, email: EmailMessage | None, language: str
) -> dict[str, Any]:
    """The client's email: who, its subject, its first lines, and its files, by name and size
    (they are not attached: the console has them, and a technician reading on a phone knows to
    look there)."""
    if email is None:
        return {"files": ""}
    excerpt = first_lines(email.text, email.subject, lines=40, chars=EXCERPT_CHARS)
    files = session.execute(
        select(EmailAttachment.filename, EmailAttachment.size)
        .where(
            EmailAttachment.email_id == email.id,
            EmailAttachment.set_aside.is_(None),  # kept: the console has it
            # Not an image shown in the text (a signature's logo: Outlook's image001.png).
            ~(
                EmailAttachment.content_id.is_not(None)
                & EmailAttachment.content_type.startswith("image/")
            ),
        )
        .order_by(EmailAttachment.position)
    ).all()
    names = "\n".join(f"- {name} ({_size(context, size, language)})" for name, size in files)
    listed = context.notices.render("email_files", language, names=names)
    return {
        "sender": email.from_address,
        "subject": email.subject,
        "excerpt": excerpt,
        "files": f"{listed}\n\n" if files else "",
    }


def _size(context: Context, size: int, language: str) -> str:
    """A file's size as its reader counts it: "850 o", "48 Ko", "3,4 Mo" / "3.4 MB"."""
    if size < 1024:
        return context.notices.render("size_bytes", language, n=size)
    if size < 1024 * 1024:
        return context.notices.render("size_kb", language, n=round(size / 1024))
    megabytes = f"{size / 1_048_576:.1f}"
    megabytes = megabytes.replace(".", ",") if language == "fr" else megabytes
    return context.notices.render("size_mb", language, n=megabytes)


def _local(moment: datetime | None, zone: ZoneInfo, language: str, year: int) -> str:
    """ "lun. 7 déc. 12 h 25" in the reader's language: an SMS carries it too, so no "12-01"."""
    return "" if moment is None else sms_moment(moment, zone, language, this_year=year)
