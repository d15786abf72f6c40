"""Is an answer to this email the next turn of a mail loop?

Only mail that answers mail can loop: the acknowledgement of a request and the reply to a
sender who is not authorized. Automatic senders (auto-replies, bounces, lists, our own mail)
are never answered at all (``mail.reading.automatic``). What is left to catch is a loop with a
sender that does not say it is automatic: its email is a reply (a loop's turn answers our
answer), and it answers again and again within minutes, or with the same text again. An email
that is not a reply is never held, however many come and whatever they say: a client who writes
five new requests in a minute, or sends the same one twice, gets every acknowledgement the
policy promises. Nor is the acknowledgement of an answer to a closed ticket of ours, which opens
one that follows it: a loop's next turn would answer that acknowledgement, name the new ticket
(its Message-ID, its ``[#1234]``), and land on it as a message, which is never acknowledged.
What may be held is a reply that names nothing of ours and so opens a ticket each time, in a
burst of replies (the sender's new requests in between count for nothing) or when it repeats
itself; the supervisors are then told at once
(``sending.staff_notices.tell_held``). Every notice that follows a staff act is sent, always.
"""

from __future__ import annotations

import re
from datetime import timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from mail.reading.headers import message_ids
from models import EmailMessage, HoldReason, MailDirection, TicketEvent, TicketEventKind

SAME_TEXT_WITHIN = timedelta(hours=24)
# The earlier messages of one sender compared for the same text; a loop repeats fast.
COMPARED = 50
_SPACE = re.compile(r"\s+")
# "Re:" as mail programs write it in French, English, German, Dutch and the Nordic languages.
_REPLY_SUBJECT = re.compile(r"^\s*(re|ré|réf|ref|aw|sv|antw)\s*(\[\d+\])?\s*:", re.IGNORECASE)


def hold_reason(
    session: Session, inbound: EmailMessage, *, burst: int, minutes: int
) -> HoldReason | None:
    """Why the answer to ``inbound`` should wait for a supervisor, or None to send it."""
    if not inbound.from_address or not _is_reply(inbound.subject, inbound.raw):
        return None
    if _follows_our_ticket(session, inbound):  # a ticket that follows one of ours: never held
        return None
    recent = _from_sender(
        inbound, timedelta(minutes=minutes), EmailMessage.subject, EmailMessage.raw
    )
    if sum(1 for subject, raw in session.execute(recent) if _is_reply(subject, raw)) >= burst:
        # A loop's turns are replies; a client's new requests in between are no turn of one.
        return HoldReason.BURST
    earlier = session.scalars(
        _from_sender(inbound, SAME_TEXT_WITHIN, EmailMessage.text).where(
            EmailMessage.id != inbound.id
        )
    )
    text = _normalized(inbound.text)
    if text and any(_normalized(other) == text for other in earlier):
        return HoldReason.REPEATED
    return None


def _from_sender(
    inbound: EmailMessage, within: timedelta, *columns: InstrumentedAttribute[Any]
) -> Select[Any]:
    """``columns`` of the sender's latest emails (COMPARED at most) received ``within`` before
    ``inbound``, this one included."""
    return (
        select(*columns)
        .where(
            EmailMessage.direction == MailDirection.IN,
            func.lower(EmailMessage.from_address) == inbound.from_address.lower(),
            EmailMessage.received_at >= inbound.received_at - within,
            EmailMessage.received_at <= inbound.received_at,
        )
        .order_by(EmailMessage.id.desc())
        .limit(COMPARED)
    )


def _is_reply(subject: str | None, raw: bytes | None) -> bool:
    """Whether the email answers another (a loop's turn does); a new request does not."""
    if _REPLY_SUBJECT.match(subject or ""):
        return True
    if raw is None:  # too big to keep: no loop answers with that much
        return False
    parsed = BytesHeaderParser(policy=compat32).parsebytes(raw)
    return bool(message_ids(parsed, "In-Reply-To") or message_ids(parsed, "References"))


def _follows_our_ticket(session: Session, inbound: EmailMessage) -> bool:
    """Whether the email opened a ticket that follows one of ours it answered."""
    if inbound.ticket_id is None:
        return False
    follows = select(TicketEvent.id).where(
        TicketEvent.ticket_id == inbound.ticket_id, TicketEvent.kind == TicketEventKind.FOLLOWS
    )
    return session.scalar(follows.limit(1)) is not None


def _normalized(text: str) -> str:
    return _SPACE.sub(" ", text).strip().lower()
