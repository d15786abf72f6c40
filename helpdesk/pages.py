"""What became of a page (an SMS to staff), as Twilio reports it: one that did not arrive is
marked failed, which its ticket and the supervisors' undelivered page show, and the next person
on duty who was not paged for the ticket yet is paged in its place (through the outbox)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import business_time, tasks
from models import (
    DeliveryState,
    Notification,
    NotificationChannel,
    Role,
    StaffMember,
    Ticket,
    TicketStatus,
    current_time,
)
from routing.config import BusinessHours

# Twilio's final statuses of a message that did not reach the phone.
NOT_ARRIVED = frozenset({"undelivered", "failed"})
TWILIO_SAID = "Twilio: "


def record_status(
    session: Session, hours: BusinessHours, message_sid: str, status: str, error_code: str
) -> bool:
    """Record Twilio's status of one SMS; True when it did not arrive and this is the first
    time we hear it (Twilio may post a status more than once)."""
    if status not in NOT_ARRIVED:
        return False
    page = session.scalars(
        select(Notification)
        .where(
            Notification.provider_id == message_sid,
            Notification.channel == NotificationChannel.SMS,
        )
        .with_for_update()
    ).first()
    if page is None or page.last_error.startswith(TWILIO_SAID):
        return False
    page.state = DeliveryState.FAILED
    page.last_error = TWILIO_SAID + status + (f" (error {error_code})" if error_code else "")
    if page.ticket_id is not None:
        _page_the_next(session, hours, page)
    return True


def _page_the_next(session: Session, hours: BusinessHours, failed: Notification) -> None:
    """The next on duty for the ticket's line (then a supervisor) not paged for it yet, while
    the ticket still waits for somebody: open, verified, nobody's."""
    ticket = session.get(Ticket, failed.ticket_id)
    if ticket is None or ticket.status != TicketStatus.OPEN or ticket.to_verify:
        return
    if ticket.assignee_id is not None:
        return
    paged = set(
        session.scalars(
            select(Notification.staff_member_id).where(
                Notification.ticket_id == ticket.id,
                Notification.channel == NotificationChannel.SMS,
            )
        )
    )
    now = current_time(session)
    candidates = [
        *business_time.people_on_duty(session, hours, ticket.priority, now),
        *_supervisors(session),
    ]
    following = next((person for person in candidates if person not in paged), None)
    if following is not None:
        occasion = f"instead-of-{failed.id}"
        tasks.notify(
            session, ticket.id, [following], tasks.Notice.NEW, occasion=occasion, only="sms"
        )


def _supervisors(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(StaffMember.id)
            .where(StaffMember.role == Role.SUPERVISOR, StaffMember.active.is_(True))
            .order_by(StaffMember.id)
        )
    )
