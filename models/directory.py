"""Clients, their contacts and phone numbers, staff members and the on-call order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from models.base import Base, default_now
from models.enums import Language, Line, Role
from phones import to_e164

MAX_AUTHORIZED_CONTACTS = 4  # the policy: "un maximum de 4 personnes"


class Client(Base):
    __tablename__ = "client"

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[Language] = mapped_column(default=Language.FR)
    hour_bank: Mapped[bool] = mapped_column(default=False)
    distance_km: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=default_now)

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="Contact.id"
    )

    def __repr__(self) -> str:
        return f"<Client {self.account} {self.name!r}>"


class Contact(Base):
    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    language: Mapped[Language] = mapped_column(default=Language.FR)
    authorized: Mapped[bool] = mapped_column(default=True)
    # The personal code a supervisor gave the contact, hashed (helpdesk.personal_codes): with it
    # they identify themselves on the phone line from a number not on file. Never exported.
    pin_hash: Mapped[str | None] = mapped_column(String(255))

    client: Mapped[Client] = relationship(back_populates="contacts")
    phones: Mapped[list[ContactPhone]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", order_by="ContactPhone.position"
    )

    def __repr__(self) -> str:
        return f"<Contact {self.name!r}>"


class ContactPhone(Base):
    """A number a contact calls from; caller ID finds the contact through it."""

    __tablename__ = "contact_phone"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(20), unique=True)
    position: Mapped[int] = mapped_column(default=0)

    contact: Mapped[Contact] = relationship(back_populates="phones")

    @validates("number")
    def _normalize(self, _key: str, value: str) -> str:
        return to_e164(value, field="contact phone")


class StaffMember(Base):
    __tablename__ = "staff_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    mobile: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[Language] = mapped_column(default=Language.FR)
    role: Mapped[Role] = mapped_column(default=Role.TECHNICIAN)
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Set by a technician's "OFF" by SMS, cleared by "ON": meanwhile the roster passes them by
    # (no ring, no page); their duty rows are kept, so "ON" puts them back in their place.
    off_duty_since: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=default_now)

    duties: Mapped[list[Duty]] = relationship(
        back_populates="staff_member", cascade="all, delete-orphan"
    )

    @validates("mobile")
    def _normalize_mobile(self, _key: str, value: str | None) -> str | None:
        return None if not value else to_e164(value, field="staff mobile")

    def __repr__(self) -> str:
        return f"<StaffMember {self.name!r} {self.role}>"


class Duty(Base):
    """One person's place in a line's on-call order, for a period or (no dates) for good."""

    __tablename__ = "duty"
    __table_args__ = (
        UniqueConstraint("line", "staff_member_id", "starts_at", name="uq_duty_line_staff_start"),
        Index("ix_duty_line_position", "line", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line: Mapped[Line]
    staff_member_id: Mapped[int] = mapped_column(
        ForeignKey("staff_member.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]

    staff_member: Mapped[StaffMember] = relationship(back_populates="duties")
