"""Staff sign-in: passwords, and the limits on attempts, whichever door asks (console, CLI).

The rule, per 15 minutes: an account (the email typed, known or not) gets 5 failed attempts
since its last success, an address (the client's IP) 20 failed attempts. Past either, every
attempt is refused without the password being checked, until the window has moved on. Attempts
are rows, so every web process on every host counts the same ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import SignInAttempt, StaffMember, utcnow
from refusals import Refused

MIN_PASSWORD_LENGTH = 10
WINDOW = timedelta(minutes=15)
KEEP_ATTEMPTS = timedelta(days=1)
# The demo directory's staff get this password from `make run`, on a developer's machine only.
DEMO_PASSWORD = "altilogix-demo"


@dataclass(frozen=True)
class Limit:
    what: str  # "account" or "address"
    failures: int  # failed attempts allowed within WINDOW


LIMITS = (Limit("account", 5), Limit("address", 20))

# A hash to check against when the email is unknown, so both cases take the same time.
_NOBODY = generate_password_hash("nobody signs in with this")


class SignInRefused(ValueError):
    """A sign-in that fails; ``throttled`` says it was refused before the password was read."""

    def __init__(self, message: str, *, throttled: bool = False) -> None:
        super().__init__(message)
        self.throttled = throttled


def hash_password(password: str) -> str:
    """The stored form of a password (werkzeug's scrypt, salted)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refused(
            "short_password",
            "a password needs at least %(n)d characters",
            n=MIN_PASSWORD_LENGTH,
        )
    return generate_password_hash(password)


def set_password(staff: StaffMember, password: str) -> None:
    staff.password_hash = hash_password(password)


def fingerprint(staff: StaffMember) -> str:
    """Changes whenever the password does: a session carries it, so a reset signs out the rest."""
    return hashlib.sha256((staff.password_hash or "").encode()).hexdigest()[:16]


def normalize_email(email: str) -> str:
    return email.strip().lower()[:254]


def sign_in(
    session: Session, email: str, password: str, address: str, *, now: datetime | None = None
) -> StaffMember:
    """The active staff member with this email and password; every attempt is counted."""
    now = now or utcnow()
    email, address = normalize_email(email), address[:64]
    session.execute(delete(SignInAttempt).where(SignInAttempt.at < now - KEEP_ATTEMPTS))
    if throttled(session, email, address, now):
        # Not counted: the lock ends 15 minutes after the last real failure, whatever follows.
        raise SignInRefused("too many failed attempts: wait 15 minutes", throttled=True)
    staff = session.scalars(
        select(StaffMember).where(func.lower(StaffMember.email) == email)
    ).first()
    known = staff is not None and staff.active and staff.password_hash is not None
    stored = staff.password_hash if known and staff is not None else None
    matches = check_password_hash(stored or _NOBODY, password)
    succeeded = bool(known and matches)
    session.add(SignInAttempt(at=now, email=email, address=address, succeeded=succeeded))
    if not succeeded or staff is None:
        raise SignInRefused("wrong email or password")
    return staff


def throttled(session: Session, email: str, address: str, now: datetime) -> bool:
    """Whether either limit is reached for this account or this address."""
    since = now - WINDOW
    last_success = session.scalar(
        select(func.max(SignInAttempt.at)).where(
            SignInAttempt.email == email, SignInAttempt.succeeded.is_(True)
        )
    )
    account_since = max(since, last_success) if last_success else since
    counts = {
        "account": _failures(session, SignInAttempt.email == email, account_since),
        "address": _failures(session, SignInAttempt.address == address, since),
    }
    return any(counts[limit.what] >= limit.failures for limit in LIMITS)


def _failures(session: Session, who: ColumnElement[bool], since: datetime) -> int:
    return int(
        session.scalar(
            select(func.count(SignInAttempt.id)).where(
                who,
                SignInAttempt.succeeded.is_(False),
                SignInAttempt.at >= since,
            )
        )
        or 0
    )


def demo_passwords(session: Session) -> list[str]:
    """Give the demo password to the staff of the demo directory (``.example`` addresses) who
    have none. The caller makes sure this is a developer's machine."""
    given = []
    for staff in session.scalars(select(StaffMember).where(StaffMember.password_hash.is_(None))):
        if staff.email.endswith(".example"):
            set_password(staff, DEMO_PASSWORD)
            given.append(staff.email)
    return given
