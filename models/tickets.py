"""Tickets, their history, the time logged on them, hour banks and surveys."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, FetchedValue, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, default_now, event_kind
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


# The subject an email without one is stored under (the console says so in its reader's words).
NO_SUBJECT = "(sans objet)"


class Ticket(Base):
    __tablename__ = "ticket"
    # Read back what the INSERT numbered (RETURNING), not with a SELECT of its own. SQLAlchemy
    # declares the attribute on its base: not a ClassVar to annotate again.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012
    __table_args__ = (
        Index("ix_ticket_status_sla_due_at", "status", "sla_due_at"),
        Index("ix_ticket_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # PostgreSQL numbers a ticket in its INSERT (the sequence is the column's default, read back
    # with RETURNING); SQLite's are given from the counter table. See helpdesk.tickets.
    number: Mapped[int] = mapped_column(unique=True, server_default=FetchedValue())
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
    created_at: Mapped[datetime] = mapped_column(default=default_now)
    sla_due_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id"), index=True)
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketEvent.id"
    )

    @property
    def written_subject(self) -> str:
        """The subject the client wrote, "" when there is none: a call's stored subject is who
        called, and an email without one is stored as NO_SUBJECT."""
        words = self.subject.strip()
        return words if self.channel != Channel.PHONE and words != NO_SUBJECT else ""


class TicketEvent(Base):
    __tablename__ = "ticket_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=default_now)
    kind: Mapped[TicketEventKind] = mapped_column(event_kind(TicketEventKind))
    staff_member_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class TimeEntry(Base):
    """Time worked on a ticket: raw minutes, minutes charged after the policy's rounding, and who
    pays them (the bank, or the client outside it). Never edited: a correction is a new entry
    that names the one it replaces (``corrects_id``), with who made it, when and why."""

    __tablename__ = "time_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    staff_member_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id"), index=True)
    posted_by_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id"))
    kind: Mapped[WorkKind]
    category: Mapped[WorkCategory] = mapped_column(default=WorkCategory.SUPPORT)
    urgency: Mapped[Line]
    urgency_reason: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime]
    minutes: Mapped[int]  # raw: as worked
    billed_minutes: Mapped[int]  # charged: after minimums and blocks
    bank_minutes: Mapped[int] = mapped_column(default=0)  # what the bank paid
    overage_minutes: Mapped[int] = mapped_column(default=0)  # charged outside the bank
    travel_km: Mapped[float] = mapped_column(default=0.0)
    travel_minutes: Mapped[int] = mapped_column(default=0)
    travel_billed_minutes: Mapped[int] = mapped_column(default=0)
    expenses_cents: Mapped[int] = mapped_column(default=0)
    expenses_billed_cents: Mapped[int] = mapped_column(default=0)
    corrects_id: Mapped[int | None] = mapped_column(
        ForeignKey("time_entry.id"), unique=True, index=True
    )
    correction_reason: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=default_now)


class BankTransaction(Base):
    """One line of a client's hour bank: append-only, the balance is their sum.

    A purchase carries its invoice, its price per hour and its due date (net 30 days); a usage
    line is the bank's part of one time entry; a reversal gives back a usage line when its entry
    is corrected. There is no refund and no transfer: no such line exists."""

    __tablename__ = "bank_transaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    # A purchase's is the start of its invoice's date (in Montreal), everything else's when it
    # was written. recorded_at is when it was written, hence when it moved the balance: the
    # ledger and the statements are in its order.
    at: Mapped[datetime] = mapped_column(default=default_now)
    recorded_at: Mapped[datetime] = mapped_column(default=default_now)
    minutes: Mapped[int]
    reason: Mapped[BankReason]
    time_entry_id: Mapped[int | None] = mapped_column(ForeignKey("time_entry.id"), index=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("bank_transaction.id"), unique=True)
    staff_member_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id"))
    invoice: Mapped[str] = mapped_column(String(40), default="")
    price_per_hour_cents: Mapped[int | None]
    due_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="")


class BankPayment(Base):
    """A purchase's invoice, paid: written once, never edited. An unpaid purchase past its due
    date (net 30 days) is overdue."""

    __tablename__ = "bank_payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("bank_transaction.id"), unique=True)
    paid_on: Mapped[date]
    staff_member_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=default_now)


class Survey(Base):
    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    score: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")
