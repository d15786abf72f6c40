"""The ticket as a conversation: every email from the client, every phone message, every note,
every message sent to the client or to staff (with its delivery state), in the order they
happened, with the other steps of the ticket's history between them.

``read`` runs a fixed number of statements whatever the ticket's length, and never loads a
file's bytes or a raw message (the page shows what they are, a download serves them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import interventions
from mail.reading.quoting import split_quoted
from models import (
    DeliveryState,
    EmailAttachment,
    EmailMessage,
    MailDirection,
    Notification,
    NotificationChannel,
    Recording,
    TicketEvent,
    TicketEventKind,
    current_time,
)
from sending import DEFERRED, ERROR, RECIPIENT_REFUSED, UNREACHABLE, delivery

# An image shown in the page rather than only offered as a download: bitmaps only (an SVG can
# carry a script).
INLINE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@dataclass(frozen=True)
class File:
    id: int
    filename: str
    content_type: str
    size: int
    set_aside: str | None  # why it was not kept ("too_big"), or None when it can be opened
    content_id: str | None

    @property
    def image(self) -> bool:
        return self.set_aside is None and self.content_type in INLINE_IMAGES


@dataclass(frozen=True)
class Email:
    id: int
    sender: str
    answer_to: str
    subject: str
    fresh: str  # what the client wrote
    quoted: str  # the history their mail program quoted under it
    automatic: str | None
    files: list[File] = field(default_factory=list)
    authentication: str = ""  # why the sender was not authenticated; "" or "pass": fine


@dataclass(frozen=True)
class Sent:
    """A message the helpdesk sent (or holds, or could not send)."""

    id: int
    key: str
    to_client: bool
    channel: NotificationChannel
    recipient: str
    staff_member_id: int | None
    subject: str
    body: str
    state: DeliveryState
    hold_reason: str | None
    error: str  # the server's own reply
    failure: str  # why it was not sent, a word the pages translate (sending.RECIPIENT_REFUSED)
    written_at: datetime
    sent_at: datetime | None
    released_by_id: int | None
    interrupted: bool = False  # its worker died mid-send: it may or may not have left


@dataclass(frozen=True)
class Entry:
    """One line of the conversation. ``kind``: email_in, voice, note, sent, unsent (an answer
    that had no address to go to), or event (another step of the history). A public note
    carries the email that tells the client of it (``sent``, None until it is written) and
    what became of that email (``told``)."""

    at: datetime
    kind: str
    event: TicketEvent | None = None
    email: Email | None = None
    recording: Recording | None = None
    sent: Sent | None = None
    told: str = ""


# What became of an email to the client, by its delivery record: each page says it in its words
# (console.filters.TOLD_OF_NOTE...). A send that failed is tried again; one refused is not.
TOLD = {
    DeliveryState.PENDING: "waiting",
    DeliveryState.SENDING: "waiting",
    DeliveryState.FAILED: "failed",
    DeliveryState.SENT: "sent",
    DeliveryState.REFUSED: "refused",
    DeliveryState.HELD: "held",
    DeliveryState.LOGGED: "logged",
}


# Every answer of ``told``: each page that says it words them all.
TOLD_ALL = (
    *dict.fromkeys(TOLD.values()),
    "interrupted",
    "refused_by_recipient",
    "gave_up",
    "no_address",
)
# Not refused by anybody: failed, or put off, at every try until the sending gave up.
GAVE_UP = (DEFERRED, UNREACHABLE, ERROR)


def told(sent: Sent | None, reachable: bool) -> str:
    """What became of an email to the client: not written yet, it waits for its job, unless
    the client has no address to write to."""
    if sent is None:
        return "waiting" if reachable else "no_address"
    if sent.interrupted:
        return "interrupted"
    if sent.state == DeliveryState.REFUSED and sent.failure == RECIPIENT_REFUSED:
        return "refused_by_recipient"
    if sent.state == DeliveryState.REFUSED and sent.failure in GAVE_UP:
        return "gave_up"
    return TOLD[sent.state]


def read(
    session: Session,
    ticket_id: int,
    events: Sequence[TicketEvent],
    recordings: dict[str, Recording],
    reachable: bool,
) -> list[Entry]:
    """The ticket's conversation, oldest first (3 statements). ``reachable``: whether the
    client has an address its notices are written to."""
    emails = _emails(session, ticket_id)
    sent = _sent(session, ticket_id, current_time(session))
    by_key = {item.key: item for item in sent.values()}
    entries = [_entry(event, emails, sent, recordings) for event in events]
    entries = [_with_notice(entry, ticket_id, by_key, reachable) for entry in entries]
    in_history = {event.data.get("notification_id") for event in events}
    # Staff notices are written by jobs, with no history entry of their own.
    entries += [
        Entry(item.sent_at or item.written_at, "sent", sent=item)
        for item in sent.values()
        if item.id not in in_history
    ]
    return sorted(entries, key=lambda entry: entry.at)


def _entry(
    event: TicketEvent,
    emails: dict[int, Email],
    sent: dict[int, Sent],
    recordings: dict[str, Recording],
) -> Entry:
    data: dict[str, Any] = event.data or {}
    if event.kind == TicketEventKind.EMAIL_IN and data.get("email_id") in emails:
        return Entry(event.at, "email_in", event, email=emails[data["email_id"]])
    if event.kind == TicketEventKind.EMAIL_OUT and data.get("notification_id") in sent:
        return Entry(event.at, "sent", event, sent=sent[data["notification_id"]])
    if event.kind == TicketEventKind.EMAIL_OUT:
        return Entry(event.at, "unsent", event)
    if event.kind == TicketEventKind.MESSAGE:
        key = data.get("recording_sid") or data.get("recording_url") or ""
        return Entry(event.at, "voice", event, recording=recordings.get(key))
    if event.kind == TicketEventKind.NOTE:
        return Entry(event.at, "note", event)
    return Entry(event.at, "event", event)


def _with_notice(entry: Entry, ticket_id: int, by_key: dict[str, Sent], reachable: bool) -> Entry:
    """A public note, with the email that tells the client of it and what became of it."""
    event = entry.event
    if entry.kind != "note" or event is None or not (event.data or {}).get("public"):
        return entry
    occasion = interventions.event_occasion(event.id)
    notice = by_key.get(interventions.notice_key(ticket_id, occasion))
    return replace(entry, sent=notice, told=told(notice, reachable))


def _emails(session: Session, ticket_id: int) -> dict[int, Email]:
    rows = session.execute(
        select(
            EmailMessage.id,
            EmailMessage.from_address,
            EmailMessage.answer_to,
            EmailMessage.subject,
            EmailMessage.text,
            EmailMessage.automatic,
            EmailMessage.authentication,
        ).where(EmailMessage.ticket_id == ticket_id, EmailMessage.direction == MailDirection.IN)
    ).all()
    files: dict[int, list[File]] = defaultdict(list)
    found = session.execute(
        select(
            EmailAttachment.email_id,
            EmailAttachment.id,
            EmailAttachment.filename,
            EmailAttachment.content_type,
            EmailAttachment.size,
            EmailAttachment.set_aside,
            EmailAttachment.content_id,
        )
        .join(EmailMessage, EmailMessage.id == EmailAttachment.email_id)
        .where(EmailMessage.ticket_id == ticket_id)
        .order_by(EmailAttachment.email_id, EmailAttachment.position)
    )
    for f in found:
        files[f.email_id].append(
            File(f.id, f.filename, f.content_type, f.size, f.set_aside, f.content_id)
        )
    emails = {}
    for row in rows:
        fresh, quoted = split_quoted(row.text, row.subject)
        emails[row.id] = Email(
            row.id,
            row.from_address,
            row.answer_to,
            row.subject,
            fresh,
            quoted,
            row.automatic,
            files[row.id],
            row.authentication,
        )
    return emails


def _sent(session: Session, ticket_id: int, now: datetime) -> dict[int, Sent]:
    rows = session.scalars(
        select(Notification).where(Notification.ticket_id == ticket_id).order_by(Notification.id)
    )
    return {row.id: as_sent(row, now) for row in rows}


def as_sent(row: Notification, now: datetime) -> Sent:
    return Sent(
        id=row.id,
        key=row.key,
        to_client=row.staff_member_id is None,
        channel=row.channel,
        recipient=row.recipient,
        staff_member_id=row.staff_member_id,
        subject=row.subject,
        body=row.body,
        state=row.state,
        hold_reason=row.hold_reason.value if row.hold_reason else None,
        error=row.last_error,
        failure=row.failure,
        written_at=row.created_at,
        sent_at=row.sent_at,
        released_by_id=row.released_by_id,
        interrupted=delivery.interrupted(row.state, row.claimed_at, now),
    )
