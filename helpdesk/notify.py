"""Jobs that tell people about tickets: technicians on duty, and supervisors.

Each message is a Notification row with a unique key, written before it is sent: a job run
twice (an RQ retry, a twice-sent webhook) writes nothing twice. Sending is claim, commit, send,
record: no transaction is open while the mail server or Twilio is talking, and a message
claimed for sending is never sent again by a retry, even when recording "sent" failed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from helpdesk import senders, tasks
from helpdesk.context import Context
from mail.quoting import first_lines
from models import (
    Call,
    Channel,
    Client,
    Contact,
    DeliveryState,
    EmailMessage,
    Notification,
    NotificationChannel,
    Recording,
    Role,
    StaffMember,
    Ticket,
    TicketStatus,
    utcnow,
)
from settings import Settings

log = logging.getLogger(__name__)
EXCERPT_CHARS = 2000  # of a client's email, in the technicians' notice

# Which texts each kind of notice uses: (email subject, email body, SMS or None).
NOTICES = {
    "new": ("ticket_subject", "ticket_body", "ticket_sms"),
    "addition": ("addition_subject", "addition_body", None),
    "sla_warning": ("sla_warning_subject", "sla_warning_body", "sla_warning_sms"),
    "escalation": ("escalation_subject", "escalation_body", "escalation_sms"),
    "verify": ("verify_subject", "verify_body", None),
    "verify_email": ("verify_subject", "verify_email_body", None),
    "email": ("email_subject", "email_body", None),
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
        email_id = session.scalar(
            select(EmailMessage.id)
            .where(EmailMessage.ticket_id == ticket_id, EmailMessage.outcome == "new_ticket")
            .limit(1)
        )
        if email_id is not None:
            tasks.acknowledge(session, email_id)


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
        ids = _write(session, context, ticket, _supervisors(session), notice, "")
    deliver(context, ids)


def _to_supervisors_if_unanswered(
    context: Context, ticket_id: int, notice: str, due: str | None
) -> None:
    with context.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or ticket.first_response_at is not None:
            return
        if ticket.status != TicketStatus.OPEN or ticket.to_verify:
            return
        if notice == "escalation" and ticket.assignee_id is not None:
            return
        if due is not None and ticket.sla_due_at != datetime.fromisoformat(due):
            return
        ids = _write(session, context, ticket, _supervisors(session), notice, "")
    deliver(context, ids)


def _supervisors(session: Session) -> list[StaffMember]:
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
) -> list[int]:
    """Write the notifications of one notice (the ones not written yet); return their ids."""
    subject_key, body_key, sms_key = NOTICES[notice]
    render = context.notices.render
    email = session.get(EmailMessage, email_id) if email_id is not None else None
    ids = []
    for person in people:
        language = person.language.value
        values = facts(session, context, ticket, language) | _email_facts(email)
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
        "phone": ticket.requester or unknown,
        "due": _local(ticket.sla_due_at, zone) or unknown,
        "opened": _local(ticket.created_at, zone),
        "message": _message(context, ticket, seconds, language),
        "link": console_link(context.settings, ticket.number),
        "account": account or unknown,
        "subject": ticket.subject,
    }


def _message(context: Context, ticket: Ticket, seconds: int | None, language: str) -> str:
    """The client's own words, as far as a notice can carry them: the first lines of their
    email, or the length of the message they recorded (it plays in the console)."""
    if ticket.description.strip():
        return first_lines(ticket.description)
    if seconds is not None:
        return context.notices.render("voice_message", language, seconds=seconds)
    return context.notices.render("none", language)


def console_link(settings: Settings, number: int) -> str:
    """The ticket's page in the console, under PUBLIC_BASE_URL (a developer's: its own port)."""
    base = settings.public_base_url.rstrip("/") or f"http://127.0.0.1:{settings.port}"
    return f"{base}/console/tickets/{number}"


def _email_facts(email: EmailMessage | None) -> dict[str, Any]:
    if email is None:
        return {}
    excerpt = first_lines(email.text, lines=40, chars=EXCERPT_CHARS)
    return {"sender": email.from_address, "subject": email.subject, "excerpt": excerpt}


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return "" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def deliver(context: Context, notification_ids: list[int]) -> None:
    """Send each notification not sent yet; raise (for RQ to retry) if any failed."""
    failures = []
    for notification_id in notification_ids:
        try:
            _deliver_one(context, notification_id)
        except Exception as error:
            failures.append(f"notification {notification_id}: {type(error).__name__}")
    if failures:
        raise RuntimeError("; ".join(failures))


def deliver_one(context: Context, notification_id: int) -> None:
    """Job: send one notification (a held answer a supervisor released)."""
    deliver(context, [notification_id])


# States in which a notification is not sent (again): done, being sent, or waiting for a person.
_NOT_TO_SEND = (
    DeliveryState.SENT,
    DeliveryState.SENDING,
    DeliveryState.HELD,
    DeliveryState.REFUSED,
    DeliveryState.LOGGED,
)


def _deliver_one(context: Context, notification_id: int) -> None:
    message = _claim(context, notification_id)
    if message is None:
        return
    try:
        if isinstance(message, senders.Letter):
            provider_id = senders.send_letter(context.settings, message)
        else:
            provider_id = senders.send_sms(context, *message)
    except senders.Refused as refused:
        # The mail server said no for good: trying again would only say no again.
        _record(context, notification_id, DeliveryState.REFUSED, error=refused)
        return
    except Exception as error:
        _record(context, notification_id, DeliveryState.FAILED, error=error)
        raise
    state = DeliveryState.LOGGED if provider_id == senders.LOGGED else DeliveryState.SENT
    _record(context, notification_id, state, provider_id=provider_id)


def _claim(context: Context, notification_id: int) -> senders.Letter | tuple[str, str] | None:
    """Mark the notification as being sent, committed before anything leaves; return the email
    to send, or the SMS's (number, text)."""
    with context.transaction() as session:
        row = session.scalars(
            select(Notification).where(Notification.id == notification_id).with_for_update()
        ).one()
        if row.state in _NOT_TO_SEND:
            return None
        row.state, row.attempts = DeliveryState.SENDING, row.attempts + 1
        if row.channel == NotificationChannel.SMS:
            return row.recipient, row.body
        ticket = session.get(Ticket, row.ticket_id) if row.ticket_id else None
        return senders.Letter(
            to=row.recipient,
            subject=row.subject,
            text=row.body,
            sender=row.sender,
            message_id=row.message_id,
            in_reply_to=row.in_reply_to,
            ticket_number=ticket.number if ticket else None,
            html=row.staff_member_id is None,  # mail to clients has an HTML part
        )


def _record(
    context: Context,
    notification_id: int,
    state: DeliveryState,
    *,
    provider_id: str | None = None,
    error: Exception | None = None,
) -> None:
    values: dict[str, Any] = {"state": state}
    if state in (DeliveryState.SENT, DeliveryState.LOGGED):
        values.update(provider_id=provider_id, sent_at=utcnow(), last_error="")
    if error is not None:
        # Kept in the database for whoever looks into it (log lines are redacted, rows are not).
        values["last_error"] = f"{type(error).__name__}: {error}"[:500]
    with context.transaction() as session:
        session.execute(
            update(Notification).where(Notification.id == notification_id).values(**values)
        )
