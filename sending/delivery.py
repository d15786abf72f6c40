"""The record of every message sent: claim, send, record.

Each message is a Notification row with a unique key, written before it is sent (a job run
twice writes nothing twice). Sending is claim, commit, send, record: no transaction is open
while the mail server or Twilio is talking, and a message claimed for sending is never sent
again by a retry, even when recording "sent" failed. A held answer waits for a supervisor
(``release``).
"""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from helpdesk import tasks
from helpdesk.context import Context
from models import (
    Contact,
    DeliveryState,
    Notification,
    NotificationChannel,
    StaffMember,
    Ticket,
    current_time,
    utcnow,
)
from sending import DEFERRED, ERROR, LOGGED, UNREACHABLE, Deferred, Refused, sms, smtp


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


# A message claimed for sending this long ago and never recorded sent or failed: its worker died
# mid-send (a send takes seconds). It may or may not have left; a supervisor decides.
INTERRUPTED_AFTER = timedelta(minutes=10)


def interrupted(state: DeliveryState, claimed_at: datetime | None, now: datetime) -> bool:
    """Whether a send was cut by its worker's death: claimed, and nothing recorded since."""
    if state != DeliveryState.SENDING or claimed_at is None:
        return False
    return now - claimed_at > INTERRUPTED_AFTER


# The first try and the outbox's retries (queueing.kinds, about 21 minutes): a message that
# fails, or is put off, at every one of them is not sent, and the staff are told.
TRIES = 1 + tasks.DELIVER.max_retries
_CUT_OFF = (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)

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
        if isinstance(message, smtp.Letter):
            provider_id = smtp.send_letter(context.settings, message)
        else:
            provider_id = sms.send(context, *message)
    except Refused as refused:
        # The mail server said no for good: trying again would only say no again.
        _record(context, notification_id, DeliveryState.REFUSED, error=refused)
        return
    except Exception as error:
        if _attempts(context, notification_id) >= TRIES:
            # Failed or put off at every try (a server down, a mailbox full for hours): as good
            # as refused, and said so; the staff are told of a client's (_tell_if_to_a_client).
            _record(context, notification_id, DeliveryState.REFUSED, error=error)
            return
        _record(context, notification_id, DeliveryState.FAILED, error=error)
        raise
    state = DeliveryState.LOGGED if provider_id == LOGGED else DeliveryState.SENT
    _record(context, notification_id, state, provider_id=provider_id)


def _attempts(context: Context, notification_id: int) -> int:
    with context.transaction() as session:
        return (
            session.scalar(select(Notification.attempts).where(Notification.id == notification_id))
            or 0
        )


def _claim(context: Context, notification_id: int) -> smtp.Letter | tuple[str, str] | None:
    """Mark the notification as being sent, committed before anything leaves; return the email
    to send, or the SMS's (number, text)."""
    with context.transaction() as session:
        row = session.scalars(
            select(Notification).where(Notification.id == notification_id).with_for_update()
        ).one()
        if row.state in _NOT_TO_SEND:
            return None
        row.state, row.attempts = DeliveryState.SENDING, row.attempts + 1
        row.claimed_at = current_time(session)
        if row.channel == NotificationChannel.SMS:
            return row.recipient, row.body
        ticket = session.get(Ticket, row.ticket_id) if row.ticket_id else None
        return smtp.Letter(
            to=row.recipient,
            subject=row.subject,
            text=row.body,
            sender=row.sender,
            message_id=row.message_id,
            in_reply_to=row.in_reply_to,
            ticket_number=ticket.number if ticket else None,
            html=row.staff_member_id is None,  # mail to clients has an HTML part
            automatic=row.written_by_id is None,
            languages=languages_of(session, row, ticket),
        )


# A letter to nobody of the directory (a stranger's email answered) is written in both.
BOTH_LANGUAGES = ("fr", "en")


def languages_of(session: Session, row: Notification, ticket: Ticket | None) -> tuple[str, ...]:
    """The language(s) an email was written in, as every writer of mail chooses it: a client's
    about a ticket, the ticket's (mail.letters.language_of); else its contact's or staff
    member's; both when it is addressed to neither."""
    if row.contact_id and ticket is not None:
        return (ticket.language.value,)
    person = (
        session.get(Contact, row.contact_id)
        if row.contact_id
        else session.get(StaffMember, row.staff_member_id)
        if row.staff_member_id
        else None
    )
    return (person.language.value,) if person is not None else BOTH_LANGUAGES


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
        values.update(provider_id=provider_id, sent_at=utcnow(), last_error="", failure="")
    if error is not None:
        # The server's own reply, kept in the database for whoever looks into it (log lines
        # are redacted, rows are not); the reason is a word the pages translate.
        values["failure"] = failure_of(error)
        values["last_error"] = (str(error) or type(error).__name__)[:500]
    with context.transaction() as session:
        session.execute(
            update(Notification).where(Notification.id == notification_id).values(**values)
        )
        if state == DeliveryState.REFUSED:
            _tell_if_to_a_client(session, notification_id)


def _tell_if_to_a_client(session: Session, notification_id: int) -> None:
    """Mail about a ticket that its client will never get: staff are told (once), so that
    somebody phones the client. A staff member's own refused mail is the supervisors' page's."""
    row = session.get(Notification, notification_id)
    if row is None or row.staff_member_id is not None or row.ticket_id is None:
        return
    ticket = session.get(Ticket, row.ticket_id)
    if ticket is not None and not ticket.to_verify:  # a stranger's reply bounced: nobody to phone
        tasks.tell_refused(session, notification_id)


def failure_of(error: Exception) -> str:
    """Why a send did not go through, in a word the pages translate."""
    if isinstance(error, Refused):
        return error.reason
    if isinstance(error, Deferred):
        return DEFERRED
    if isinstance(error, smtplib.SMTPException) and not isinstance(error, _CUT_OFF):
        return ERROR  # our own setup, say: a login refused, no STARTTLS offered
    if isinstance(error, OSError):  # a connection that failed or dropped, a name not found
        return UNREACHABLE
    return ERROR


def release(session: Session, notification_id: int, staff_member_id: int) -> bool:
    """A supervisor sends a held answer anyway, or a message whose send was interrupted again:
    it is delivered as any other. False when it is neither (sent already, or never held)."""
    row = session.scalars(
        select(Notification).where(Notification.id == notification_id).with_for_update()
    ).first()
    if row is None:
        return False
    cut = interrupted(row.state, row.claimed_at, current_time(session))
    if row.state != DeliveryState.HELD and not cut:
        return False
    row.state, row.released_by_id = DeliveryState.PENDING, staff_member_id
    row.released_at = current_time(session)
    tasks.deliver(session, row.id)
    return True
