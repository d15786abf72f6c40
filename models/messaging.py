"""Notifications sent to people, and the outbox of tasks waiting for the worker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, default_now
from models.enums import DeliveryState, HoldReason, NotificationChannel, OutboxState


class Notification(Base):
    """One message to one recipient; its key makes a second send of the same message a no-op."""

    __tablename__ = "notification"
    # The hourly cap on automatic mail to one address counts through this index.
    __table_args__ = (Index("ix_notification_recipient_created_at", "recipient", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[NotificationChannel]
    recipient: Mapped[str] = mapped_column(String(254))
    staff_member_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id"))
    # Mail to a client's contact (an acknowledgement, a ticket's written trace): sent from the
    # line's support address, under a Message-ID made in advance so that replies thread.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)
    sender: Mapped[str] = mapped_column(String(254), default="")
    # A staff member's own words to the client (a public note): a person's mail, sent without
    # the marks of automatic mail. None: a message the software writes, marked automatic.
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id"))
    message_id: Mapped[str | None] = mapped_column(String(255))
    in_reply_to: Mapped[str | None] = mapped_column(String(255))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[DeliveryState] = mapped_column(default=DeliveryState.PENDING)
    hold_reason: Mapped[HoldReason | None]
    # A held answer a supervisor chose to send anyway: who and when.
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id"))
    released_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    # When a worker last claimed it for sending: a claim never recorded as sent or failed long
    # after is a send its worker's death cut (sending.delivery.interrupted).
    claimed_at: Mapped[datetime | None]
    # Why it was not sent, in a word the pages translate (``sending.RECIPIENT_REFUSED``...);
    # ``last_error`` keeps the server's own reply.
    failure: Mapped[str] = mapped_column(String(40), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    # Twilio's message SID or the mail server's queue id: a delivery status names it.
    provider_id: Mapped[str | None] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(default=default_now)
    sent_at: Mapped[datetime | None]


class OutboxTask(Base):
    """A task for the worker, written in the transaction that causes it, relayed to RQ later."""

    __tablename__ = "outbox_task"
    __table_args__ = (Index("ix_outbox_task_state_run_at", "state", "run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(100))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Two writers of the same logical task (a webhook Twilio sent twice) give one row.
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    run_at: Mapped[datetime] = mapped_column(default=default_now)
    state: Mapped[OutboxState] = mapped_column(default=OutboxState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=default_now)
    relayed_at: Mapped[datetime | None]


class Installation(Base):
    """The database's own identity, made by the first migration: RQ queues and job ids carry it,
    so databases that share one Redis never run each other's jobs."""

    __tablename__ = "installation"

    # One row: the key is made once, by whichever process gets there first.
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=default_now)


class PagerReply(Base):
    """An SMS a technician sent to the support number, once per Twilio MessageSid: a reply
    Twilio delivers twice acts once, and gets the answer the first one got."""

    __tablename__ = "pager_reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(32))
    staff_member_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id"))
    body: Mapped[str] = mapped_column(Text, default="")
    answer: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(default=default_now)


class ReplayedEntry(Base):
    """A webhook the spool kept while the database was down, once written back: the id it was
    spooled under, so that a copy of the folder, or a replay that died before removing its file,
    writes it only once (the row goes in the transaction that writes the webhook)."""

    __tablename__ = "replayed_entry"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    step: Mapped[str] = mapped_column(String(30))
    # Ids are forgotten after a while (helpdesk.replay.forget_old): a copy lying around longer
    # than that is not expected.
    replayed_at: Mapped[datetime] = mapped_column(default=default_now, index=True)
