"""Who may be in the staff console: the sessions the server knows, and the counters that slow
the guessing of passwords."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, default_now


class StaffSession(Base):
    """One sign-in to the console. The cookie carries only an opaque key; the row, found by the
    key's hash, says whether it still holds: ended (signed out, password or role changed,
    deactivated, signed out everywhere), idle too long, or too old, it opens nothing."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_member_id: Mapped[int] = mapped_column(
        ForeignKey("staff_member.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(default=default_now)
    seen_at: Mapped[datetime] = mapped_column(default=default_now)
    ended_at: Mapped[datetime | None]


class SignInLimit(Base):
    """The failed sign-ins of one key: an (account, address) pair or an address. Each attempt
    is counted before its password is checked, on the locked row, so parallel attempts cannot
    pass the limit together; a success gives its count back."""

    __tablename__ = "sign_in_limit"

    key: Mapped[str] = mapped_column(String(330), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_at: Mapped[datetime] = mapped_column(default=default_now, index=True)


class FormSubmission(Base):
    """A console form acted on, by the key its page gave it: a copy of the same submission (a
    double click, a browser sending the form again) is recognised and not acted on twice. A
    page shown again gives its form a new key, so a second note or time entry is never taken
    for a copy."""

    __tablename__ = "form_submission"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_member_id: Mapped[int] = mapped_column(
        ForeignKey("staff_member.id", ondelete="CASCADE"), index=True
    )
    submitted_at: Mapped[datetime] = mapped_column(default=default_now)
