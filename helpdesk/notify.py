"""RQ jobs that tell people about tickets: technicians on duty, and supervisors.

Each message is a Notification row with a unique key, written before it is sent: a job run
twice (an RQ retry, a twice-sent webhook) sends nothing twice, and a failed send is retried by
RQ while the ones already sent stay sent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import i18n
from helpdesk import senders
from models import (
    Client,
    Contact,
    DeliveryState,
    Notification,
    NotificationChannel,
    Role,
    StaffMember,
    Ticket,
    TicketStatus,
    utcnow,
)
from queueing import runtime

log = logging.getLogger(__name__)
MESSAGES = Path(__file__).with_name("messages.toml")

# Which texts each kind of notice uses: (email subject, email body, SMS or None).
NOTICES = {
    "new": ("ticket_subject", "ticket_body", "ticket_sms"),
    "addition": ("addition_subject", "addition_body", None),
    "sla_warning": ("sla_warning_subject", "sla_warning_body", "sla_warning_sms"),
    "escalation": ("escalation_subject", "escalation_body", "escalation_sms"),
    "verify": ("verify_subject", "verify_body", None),
}


def notify_ticket(ticket_id: int, staff_ids: list[int], notice: str = "new", tag: str = "") -> None:
    """Tell the given staff about a ticket, by email and SMS."""
    with runtime.session() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            log.warning("ticket %s is gone; nothing to notify", ticket_id)
            return
        people = session.scalars(select(StaffMember).where(StaffMember.id.in_(staff_ids))).all()
        ordered = sorted(people, key=lambda p: staff_ids.index(p.id))
        ids = _write(session, ticket, ordered, notice, tag)
    deliver(ids)


def sla_watch(ticket_id: int) -> None:
    """Warn the supervisors if the ticket nears its deadline and nobody has reached the client."""
    _to_supervisors_if_unanswered(ticket_id, "sla_warning")


def escalate(ticket_id: int) -> None:
    """Page the supervisors if an urgent ticket is still unanswered."""
    _to_supervisors_if_unanswered(ticket_id, "escalation")


def ask_verification(ticket_id: int) -> None:
    """Tell the supervisors (by email only: nobody is paged) of a message to verify."""
    with runtime.session() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            return
        ids = _write(session, ticket, _supervisors(session), "verify", "")
    deliver(ids)


def _to_supervisors_if_unanswered(ticket_id: int, notice: str) -> None:
    with runtime.session() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or ticket.first_response_at is not None:
            return
        if ticket.status != TicketStatus.OPEN:
            return
        ids = _write(session, ticket, _supervisors(session), notice, "")
    deliver(ids)


def _supervisors(session: Session) -> list[StaffMember]:
    return list(
        session.scalars(
            select(StaffMember)
            .where(StaffMember.role == Role.SUPERVISOR, StaffMember.active.is_(True))
            .order_by(StaffMember.id)
        )
    )


def _write(
    session: Session, ticket: Ticket, people: Iterable[StaffMember], notice: str, tag: str
) -> list[int]:
    """Write the notifications of one notice (the ones not written yet); return their ids."""
    subject_key, body_key, sms_key = NOTICES[notice]
    ids = []
    for person in people:
        values = facts(session, ticket, person.language.value)
        language = person.language.value
        wanted = [(NotificationChannel.EMAIL, person.email, subject_key, body_key)]
        if sms_key and person.mobile:
            wanted.append((NotificationChannel.SMS, person.mobile, "", sms_key))
        for channel, recipient, subject, body in wanted:
            key = f"ticket-{ticket.id}-{notice}{tag}-{person.id}-{channel.value}"
            row = session.scalar(select(Notification).where(Notification.key == key))
            if row is None:
                row = Notification(
                    key=key,
                    channel=channel,
                    recipient=recipient,
                    staff_member_id=person.id,
                    ticket_id=ticket.id,
                    body=i18n.render(MESSAGES, body, language, **values),
                    subject=i18n.render(MESSAGES, subject, language, **values) if subject else "",
                )
                session.add(row)
                session.flush()
            ids.append(row.id)
    return ids


def facts(session: Session, ticket: Ticket, language: str) -> dict[str, Any]:
    """What the texts say about a ticket, in the reader's language."""
    hours = runtime.business_hours()
    client = session.get(Client, ticket.client_id) if ticket.client_id else None
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    unknown = i18n.render(MESSAGES, "unknown", language)
    recordings = [e.data.get("recording_url") for e in ticket.events if e.kind == "message"]
    return {
        "number": ticket.number,
        "line": i18n.render(MESSAGES, f"line_{ticket.priority.value}", language),
        "client": client.name if client else unknown,
        "contact": contact.name if contact else unknown,
        "phone": ticket.requester or unknown,
        "due": _local(ticket.sla_due_at, hours.timezone) or unknown,
        "opened": _local(ticket.created_at, hours.timezone),
        "recording": next((r for r in reversed(recordings) if r), None)
        or i18n.render(MESSAGES, "none", language),
        "account": next(
            (e.data.get("account") for e in ticket.events if e.data.get("account")), unknown
        ),
    }


def _local(moment: datetime | None, zone: Any) -> str:
    return "" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def deliver(notification_ids: list[int]) -> None:
    """Send each pending notification, each in its own transaction; raise if any failed."""
    failures = []
    for notification_id in notification_ids:
        try:
            _deliver_one(notification_id)
        except Exception as error:
            failures.append(f"notification {notification_id}: {type(error).__name__}")
    if failures:
        raise RuntimeError("; ".join(failures))


def _deliver_one(notification_id: int) -> None:
    config: Mapping[str, Any] = runtime.settings()
    failure: Exception | None = None
    with runtime.session() as session:
        row = session.scalars(
            select(Notification).where(Notification.id == notification_id).with_for_update()
        ).one()
        if row.state == DeliveryState.SENT:
            return
        row.attempts += 1
        try:
            if row.channel == NotificationChannel.EMAIL:
                row.provider_id = senders.send_email(config, row.recipient, row.subject, row.body)
            else:
                row.provider_id = senders.send_sms(config, row.recipient, row.body)
        except Exception as error:
            failure = error
            row.state, row.last_error = (
                DeliveryState.FAILED,
                f"{type(error).__name__}: {error}"[:500],
            )
        else:
            row.state, row.sent_at, row.last_error = DeliveryState.SENT, utcnow(), ""
    if failure is not None:
        raise failure
