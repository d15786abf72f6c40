"""Email kept as it came and went: every message in or out, and what could not be read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, default_now
from models.enums import MailDirection


class EmailMessage(Base):
    """One email, in or out, stored once per Message-ID: a re-delivery is recognized by it."""

    __tablename__ = "email_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    direction: Mapped[MailDirection]
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    from_address: Mapped[str] = mapped_column(String(254), default="")
    to_addresses: Mapped[str] = mapped_column(Text, default="")  # comma-separated
    subject: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    # What the intake made of it: new_ticket, reply, to_verify, automatic, unrouted; "sent" out.
    outcome: Mapped[str] = mapped_column(String(20), default="")
    automatic: Mapped[str | None] = mapped_column(String(40))  # mail.reading.automatic's reason
    source: Mapped[str] = mapped_column(String(10), default="")  # pipe, http, imap; job out
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)  # None: bigger than MAIL_MAX_BYTES
    size: Mapped[int] = mapped_column(default=0)
    # Where answers go: a valid Reply-To, else a valid From; "" when neither is an address.
    answer_to: Mapped[str] = mapped_column(String(254), default="")
    # Whether the receiving server vouched for the sender (mail.reading.trust): "pass", why not
    # ("dmarc_fail", "spf_dkim_fail", "no_results"), or "" when nobody checked (no
    # MAIL_AUTHSERV_ID).
    authentication: Mapped[str] = mapped_column(String(40), default="")
    # The envelope sender (Return-Path) the receiving server recorded; "" when it gave none.
    return_path: Mapped[str] = mapped_column(String(254), default="")
    received_at: Mapped[datetime] = mapped_column(default=default_now)


class InboundMail(Base):
    """The bytes of one incoming email, stored before anything else is done with them: a door
    stores them, then the intake reads them (at once for the pipe and IMAP, in a job for the
    HTTP hook), so nothing that came in is lost to a crash, a timeout or a hostile message."""

    __tablename__ = "inbound_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(10))  # pipe, http, imap
    # None once read and kept whole elsewhere (its email_message or quarantine row).
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=default_now)
    read_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(20), default="")  # what the intake made of it


class EmailAttachment(Base):
    """A file that came with an email: kept for staff who may open its ticket, or set aside
    (too big) with the reason, so the ticket says which and why."""

    __tablename__ = "email_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_id: Mapped[int] = mapped_column(ForeignKey("email_message.id"), index=True)
    position: Mapped[int]  # in the message, from 1
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # Its bytes, in the storage every host reaches (storage.files); None: set aside.
    stored_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_file.id", ondelete="SET NULL"), index=True
    )
    set_aside: Mapped[str | None] = mapped_column(String(40))  # why it was not kept
    content_id: Mapped[str | None] = mapped_column(String(255))  # cid: an inline image


class Quarantine(Base):
    """Bytes that came in as mail and could not be read: kept whole for a person to look at."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)  # the same bytes, kept once
    reason: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(10), default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(default=0)  # of the bytes received, even when cut
    received_at: Mapped[datetime] = mapped_column(default=default_now)
