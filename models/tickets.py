"""Tickets, their history, the time logged on them, hour banks and surveys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, event_kind, utcnow
from models.enums import (
    BankReason,
    Channel,
    Language,
    Line,
    TicketEventKind,
    TicketStatus,
    WorkCategory,
    WorkKind,
)


class Counter(Base):
    """Named counters, such as the next human ticket number, incremented in one statement."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class Ticket(Base):
    __tablename__ = "ticket"
    __table_args__ = (
        Index("ix_ticket_status_sla_due_at", "status", "sla_due_at"),
        Index("ix_ticket_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)
    priority: Mapped[Line]
    channel: Mapped[Channel]
    status: Mapped[TicketStatus] = mapped_column(default=TicketStatus.OPEN)
    # A request from someone the directory does not authorize waits for a supervisor: no promise
    # is made and nobody is paged until then.
    to_verify: Mapped[bool] = mapped_column(default=False)
    language: Mapped[Language] = mapped_column(default=Language.FR)
    requester: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sla_due_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id"), index=True)
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketEvent.id"
    )


class TicketEvent(Base):
    __tablename__ = "ticket_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[TicketEventKind] = mapped_column(event_kind(TicketEventKind))
    staff_member_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class TimeEntry(Base):
    """Time worked on a ticket: raw minutes, and minutes billed after the policy's rounding."""

    __tablename__ = "time_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    staff_member_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id"), index=True)
    kind: Mapped[WorkKind]
    category: Mapped[WorkCategory] = mapped_column(default=WorkCategory.SUPPORT)
    started_at: Mapped[datetime]
    minutes: Mapped[int]
    billed_minutes: Mapped[int]
    travel_km: Mapped[float] = mapped_column(default=0.0)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BankTransaction(Base):
    """One line of a client's hour bank: append-only, the balance is their sum."""

    __tablename__ = "bank_transaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    minutes: Mapped[int]
    reason: Mapped[BankReason]
    time_entry_id: Mapped[int | None] = mapped_column(ForeignKey("time_entry.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")


class Survey(Base):
    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    score: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")
