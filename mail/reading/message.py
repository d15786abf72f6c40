"""What reading one raw email gives: the message the helpdesk can use, or why it could not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Attachment:
    """One attached file; `content` is None when it was refused as too big."""

    filename: str
    content_type: str
    size: int
    sha256: str
    content: bytes | None
    content_id: str | None = None  # an inline image's Content-ID, without <>


@dataclass(frozen=True)
class InboundMessage:
    """One readable email, every field decoded and cleaned."""

    message_id: str  # without <>; synthetic (from the bytes' sha256) when the sender gave none
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    from_address: str  # lowercased addr-spec
    from_name: str
    reply_to: tuple[str, ...]
    recipients: tuple[str, ...]  # To, Cc, Delivered-To, X-Original-To; lowercased, no repeats
    subject: str
    date: datetime | None  # always aware when present
    text: str
    text_truncated: bool
    attachments: tuple[Attachment, ...]  # kept, with their bytes
    refused_attachments: tuple[Attachment, ...]  # too big: metadata only
    ticket_token: int | None  # the ticket number quoted in the subject, "[#1234]"
    automatic: str | None  # why it must never be answered (see mail.reading.automatic), or None
    # The Authentication-Results headers, topmost (the last server's) first, as written.
    authentication_results: tuple[str, ...] = ()
    return_path: str = ""  # the envelope sender the delivering server recorded, lowercased
    other_senders: tuple[str, ...] = ()  # more addresses in From: no one domain to authenticate


# Why bytes are no usable message (the console labels each).
UNREADABLE = (
    "empty",
    "not_a_message",
    "no_sender",
    "parse_error",
    # measured before parsing (see mail.reading.measure)
    "too_many_parts",
    "too_many_enclosed",
    "too_deep",
    "too_many_headers",
    "header_too_long",
    # while reading
    "too_slow",
    "too_big_decoded",
)


@dataclass(frozen=True)
class Unreadable:
    """Bytes that are no usable message; the caller keeps them in quarantine."""

    reason: str  # one of UNREADABLE
