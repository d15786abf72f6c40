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

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
    sender = inbound.from_address.lower()
    if not sender or not _is_reply(inbound) or _follows_our_ticket(session, inbound):
        return None
    if _replies_within(session, inbound, minutes) >= burst:
        return HoldReason.BURST
    earlier = session.scalars(
        select(EmailMessage.text)
        .where(
            EmailMessage.direction == MailDirection.IN,
            func.lower(EmailMessage.from_address) == sender,
            EmailMessage.id != inbound.id,
            EmailMessage.received_at >= inbound.received_at - SAME_TEXT_WITHIN,
            EmailMessage.received_at <= inbound.received_at,
        )
        .order_by(EmailMessage.id.desc())
        .limit(COMPARED)
    )
    text = _normalized(inbound.text)
    if text and any(_normalized(other) == text for other in earlier):
        return HoldReason.REPEATED
    return None


def _replies_within(session: Session, inbound: EmailMessage, minutes: int) -> int:
    """How many of the sender's emails in the last ``minutes`` (this one included) were replies:
    a loop's turns are; a client's new requests in between are no turn of one."""
    recent = session.scalars(
        select(EmailMessage)
        .where(
            EmailMessage.direction == MailDirection.IN,
            func.lower(EmailMessage.from_address) == inbound.from_address.lower(),
            EmailMessage.received_at >= inbound.received_at - timedelta(minutes=minutes),
            EmailMessage.received_at <= inbound.received_at,
        )
        .order_by(EmailMessage.id.desc())
        .limit(COMPARED)
    )
    return sum(1 for message in recent if _is_reply(message))


def _is_reply(inbound: EmailMessage) -> bool:
    """Whether the email answers another (a loop's turn does); a new request does not."""
    if _REPLY_SUBJECT.match(inbound.subject or ""):
        return True
    if inbound.raw is None:  # too big to keep: no loop answers with that much
        return False
    parsed = BytesHeaderParser(policy=compat32).parsebytes(inbound.raw)
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
