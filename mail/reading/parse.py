"""read_message: raw email bytes in, an InboundMessage or an Unreadable out; it never raises."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from email import policy
from email.message import EmailMessage
from email.parser import BytesFeedParser

from mail.reading.automatic import automatic_reason
from mail.reading.headers import addresses, decoded, message_ids, raw_values, sent_at
from mail.reading.measure import LIMITS, Deadline, Limits, TooSlow, hostile_shape
from mail.reading.message import InboundMessage, Unreadable
from mail.reading.parts import TooBig, find_body, read_attachments, read_body
from mail.reading.subject import clean_subject, ticket_token

MAX_BODY_CHARS = 100_000
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")
# A message is read within this long, or set aside: no door or job waits on a hostile one
# (MAIL_READ_SECONDS sets it for the intake).
READ_SECONDS = 3.0
# The parser is fed this much at a time, and the deadline checked between two feeds.
_CHUNK = 8 * 1024


def read_message(
    raw: bytes,
    *,
    max_body_chars: int = MAX_BODY_CHARS,
    max_attachment_bytes: int = MAX_ATTACHMENT_BYTES,
    own_domains: Collection[str] = (),
    seconds: float = READ_SECONDS,
    limits: Limits = LIMITS,
) -> InboundMessage | Unreadable:
    """Read one email as the MTA delivered it, measured first and within ``seconds``. Never
    raises: bad input, or input too big, deep or slow to read, is Unreadable."""
    if not raw.strip():
        return Unreadable("empty")
    hostile = hostile_shape(raw, limits)
    if hostile is not None:
        return Unreadable(hostile)
    deadline = Deadline.after(seconds)
    try:
        parsed = _parse(raw, deadline)
        if not parsed.keys():
            return Unreadable("not_a_message")
        return _inbound(
            parsed, raw, max_body_chars, max_attachment_bytes, own_domains, deadline, limits
        )
    except TooSlow:
        return Unreadable("too_slow")
    except TooBig:
        return Unreadable("too_big_decoded")
    except Exception:  # the last line of defence: the caller quarantines the bytes
        return Unreadable("parse_error")


def _parse(raw: bytes, deadline: Deadline) -> EmailMessage:
    """The parsed message, fed a chunk at a time so that the deadline can stop it."""
    parser = BytesFeedParser(policy=policy.default)
    for start in range(0, len(raw), _CHUNK):
        deadline.check()
        parser.feed(raw[start : start + _CHUNK])
    parsed = parser.close()
    assert isinstance(parsed, EmailMessage)  # policy.default's message class
    return parsed


def _inbound(
    parsed: EmailMessage,
    raw: bytes,
    max_body_chars: int,
    max_attachment_bytes: int,
    own_domains: Collection[str],
    deadline: Deadline,
    limits: Limits,
) -> InboundMessage | Unreadable:
    senders = addresses(parsed, "From")
    if not senders:
        return Unreadable("no_sender")
    from_name, from_address = senders[0]
    subject = clean_subject(decoded(parsed, "Subject"))
    body_part = find_body(parsed)
    body = read_body(body_part, max_body_chars)
    deadline.check()
    kept, refused = read_attachments(
        parsed, body_part, max_attachment_bytes, deadline, limits.decoded_bytes
    )
    return InboundMessage(
        message_id=_message_id(parsed, raw),
        in_reply_to=tuple(message_ids(parsed, "In-Reply-To")),
        references=tuple(message_ids(parsed, "References")),
        from_address=from_address,
        from_name=from_name,
        other_senders=tuple(spec for _, spec in senders[1:]),
        reply_to=tuple(spec for _, spec in addresses(parsed, "Reply-To")),
        recipients=tuple(spec for _, spec in addresses(parsed, *RECIPIENT_HEADERS)),
        subject=subject,
        date=sent_at(parsed),
        text=body.text,
        text_truncated=body.truncated,
        attachments=tuple(kept),
        refused_attachments=tuple(refused),
        ticket_token=ticket_token(subject),
        automatic=automatic_reason(parsed, own_domains=own_domains),
        authentication_results=tuple(raw_values(parsed, "Authentication-Results")),
        return_path=_return_path(parsed),
    )


def _return_path(parsed: EmailMessage) -> str:
    """The envelope sender: the topmost Return-Path, "" for none or the null sender <>."""
    found = addresses(parsed, "Return-Path")
    return found[0][1] if found else ""


def _message_id(parsed: EmailMessage, raw: bytes) -> str:
    """The sender's Message-ID, or one derived from the bytes, so a re-delivery dedupes."""
    ids = message_ids(parsed, "Message-ID")
    if ids:
        return ids[0]
    return f"{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid"
