"""The call log: one row per Twilio call, and its timeline of typed events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.enums import Language, Line


class Call(Base):
    __tablename__ = "call"
    __table_args__ = (Index("ix_call_started_at", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    line: Mapped[Line | None]
    from_number: Mapped[str] = mapped_column(String(64), default="")
    to_number: Mapped[str] = mapped_column(String(64), default="")
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)
    language: Mapped[Language | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="in-progress")
    outcome: Mapped[str | None] = mapped_column(String(30))
    duration_seconds: Mapped[int | None]
    recording_url: Mapped[str | None] = mapped_column(String(500))
    recording_seconds: Mapped[int | None]
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)

    events: Mapped[list[CallEvent]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallEvent.id"
    )


class CallEvent(Base):
    """One step of a call, typed (``arrived``, ``option_chosen``, ``whisper_accepted``…)."""

    __tablename__ = "call_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    call: Mapped[Call] = relationship(back_populates="events")
