"""read_message: raw email bytes in, an InboundMessage or an Unreadable out; it never raises."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from mail.reading.automatic import automatic_reason
from mail.reading.headers import addresses, decoded, message_ids, sent_at
from mail.reading.message import InboundMessage, Unreadable
from mail.reading.parts import find_body, read_attachments, read_body
from mail.reading.subject import clean_subject, ticket_token

MAX_BODY_CHARS = 100_000
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")


def read_message(
    raw: bytes,
    *,
    max_body_chars: int = MAX_BODY_CHARS,
    max_attachment_bytes: int = MAX_ATTACHMENT_BYTES,
    own_domains: Collection[str] = (),
) -> InboundMessage | Unreadable:
    """Read one email as the MTA delivered it. Never raises: bad input is Unreadable."""
    if not raw.strip():
        return Unreadable("empty")
    try:
        parsed = BytesParser(policy=policy.default).parsebytes(raw)
        if not parsed.keys():
            return Unreadable("not_a_message")
        return _inbound(parsed, raw, max_body_chars, max_attachment_bytes, own_domains)
    except Exception:  # the last line of defence: the caller quarantines the bytes
        return Unreadable("parse_error")


def _inbound(
    parsed: EmailMessage,
    raw: bytes,
    max_body_chars: int,
    max_attachment_bytes: int,
    own_domains: Collection[str],
) -> InboundMessage | Unreadable:
    senders = addresses(parsed, "From")
    if not senders:
        return Unreadable("no_sender")
    from_name, from_address = senders[0]
    subject = clean_subject(decoded(parsed, "Subject"))
    body_part = find_body(parsed)
    body = read_body(body_part, max_body_chars)
    kept, refused = read_attachments(parsed, body_part, max_attachment_bytes)
    return InboundMessage(
        message_id=_message_id(parsed, raw),
        in_reply_to=tuple(message_ids(parsed, "In-Reply-To")),
        references=tuple(message_ids(parsed, "References")),
        from_address=from_address,
        from_name=from_name,
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
    )


def _message_id(parsed: EmailMessage, raw: bytes) -> str:
    """The sender's Message-ID, or one derived from the bytes, so a re-delivery dedupes."""
    ids = message_ids(parsed, "Message-ID")
    if ids:
        return ids[0]
    return f"{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid"
