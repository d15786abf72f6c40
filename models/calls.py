"""The call log: one row per Twilio call, its timeline of typed events, who was rung for it,
the messages recorded on it, and the callbacks technicians place."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from models.base import Base, default_now, event_kind, text_enum
from models.enums import (
    CallbackState,
    CallDirection,
    CallEventKind,
    CallOutcome,
    Language,
    Line,
    WhisperAnswer,
)


class Call(Base):
    __tablename__ = "call"
    __table_args__ = (Index("ix_call_started_at", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[CallDirection] = mapped_column(
        default=CallDirection.INBOUND, server_default=CallDirection.INBOUND.value
    )
    line: Mapped[Line | None]
    from_number: Mapped[str] = mapped_column(String(64), default="")
    to_number: Mapped[str] = mapped_column(String(64), default="")
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)
    # The technician of an outbound callback.
    staff_member_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id"), index=True)
    language: Mapped[Language | None]
    started_at: Mapped[datetime] = mapped_column(default=default_now)
    ended_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="in-progress")
    outcome: Mapped[CallOutcome | None] = mapped_column(text_enum(CallOutcome, 30))
    duration_seconds: Mapped[int | None]
    # What a caller the directory does not authorize gave as their account number.
    account_given: Mapped[str | None] = mapped_column(String(20))
    # Wrong personal codes given on this call (state on the row: any web process serves the next
    # try); summed over a day's calls for an account, it stops the guessing of codes.
    code_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    # The ticket's number, read with the call's own row where a query asks for it
    # (helpdesk.calllog.find_or_start): a webhook's log lines carry it without a statement more.
    ticket_number: Mapped[int | None] = query_expression()

    events: Mapped[list[CallEvent]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallEvent.id"
    )
    rings: Mapped[list[CallRing]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallRing.position"
    )


class CallEvent(Base):
    """One step of a call's timeline: what happened, for the supervisors to read."""

    __tablename__ = "call_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=default_now)
    kind: Mapped[CallEventKind] = mapped_column(event_kind(CallEventKind))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    call: Mapped[Call] = relationship(back_populates="events")


class CallRing(Base):
    """A technician rung for a CATA call, and what they answered to the whisper.

    The people rung are the people paged if nobody accepts; whoever accepted gets the ticket.
    """

    __tablename__ = "call_ring"
    __table_args__ = (UniqueConstraint("call_id", "staff_member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    # Indexed for the call log's technician filter (the calls they were rung for).
    staff_member_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    rung_at: Mapped[datetime] = mapped_column(default=default_now)
    answer: Mapped[WhisperAnswer | None]
    answered_at: Mapped[datetime | None]
    leg_sid: Mapped[str | None] = mapped_column(String(64))  # the technician's leg

    call: Mapped[Call] = relationship(back_populates="rings")


class Recording(Base):
    """A message a caller left: Twilio's recording, tied to its call and ticket."""

    __tablename__ = "recording"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    # Twilio sends the same recording again when it retries a webhook: stored once.
    url: Mapped[str] = mapped_column(String(500), unique=True)
    sid: Mapped[str] = mapped_column(String(64), default="")
    seconds: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=default_now)
    # Our own copy (helpdesk.recordings): a file name in RECORDINGS_DIR, made from the row's id.
    stored_path: Mapped[str | None] = mapped_column(String(100))
    stored_bytes: Mapped[int | None]
    stored_sha256: Mapped[str | None] = mapped_column(String(64))
    stored_at: Mapped[datetime | None]
    # When Twilio's copy was deleted (RECORDINGS_DELETE_AT_TWILIO), ours being safe.
    deleted_at_twilio: Mapped[datetime | None]
    # Our copy in the storage every host reaches (storage.files); stored_path names a file of
    # RECORDINGS_DIR kept by older versions, until `flask recordings move` moves it here.
    stored_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_file.id", ondelete="SET NULL"), index=True
    )
    # When our copy was deleted after RECORDINGS_KEEP_DAYS (the ticket's history says so too).
    purged_at: Mapped[datetime | None]


class CallbackRequest(Base):
    """A technician's "call the client back": placed once, whatever retries happen."""

    __tablename__ = "callback_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    staff_member_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id"))
    state: Mapped[CallbackState] = mapped_column(default=CallbackState.REQUESTED)
    requested_at: Mapped[datetime] = mapped_column(default=default_now)
    placed_at: Mapped[datetime | None]
    # The outbound call of the technician's leg, once Twilio has it.
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id"), index=True)
    last_error: Mapped[str] = mapped_column(String(300), default="")
