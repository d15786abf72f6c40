"""Staff sign-in: passwords, and the limits on attempts, whichever door asks (console, CLI).

The rules. Failures are counted per (account, address) pair, the email typed (known or not)
from one client address, and per address. A pair gets 5 failures, an address 20; past that,
each further attempt waits: 15 seconds after the limit, doubling with every failure, at most 15
minutes. An attempt that comes too early is refused without its password being checked and is
not counted. A success clears its pair (not its address). A counter quiet for a day is
forgotten. Nobody locks an account: a stranger's failures slow only their
own pair and address, and the account's owner, from an address that has not been failing,
signs in at once.

An attempt's counter rows are locked before its password is checked and updated in the same
transaction: parallel attempts wait for each other, so together they never get more checks than
the limit, on every web process of every host.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from helpdesk import staff_sessions
from models import SignInLimit, StaffMember, current_time, utcnow
from models.db import insert_or_skip
from refusals import Refused

MIN_PASSWORD_LENGTH = 10
FIRST_WAIT = timedelta(seconds=15)
LONGEST_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(days=1)
# The demo directory's staff get this password from `make run`, on a developer's machine only.
DEMO_PASSWORD = "altilogix-demo"


@dataclass(frozen=True)
class Limit:
    what: str  # "pair" (an account from an address) or "address"
    failures: int  # failures allowed before each attempt must wait


LIMITS = (Limit("pair", 5), Limit("address", 20))

# A hash to check against when the email is unknown, so both cases take the same time.
_NOBODY = generate_password_hash("nobody signs in with this")


class SignInRefused(ValueError):
    """A sign-in that fails; ``throttled`` says it was refused before the password was read."""

    def __init__(
        self, message: str, *, throttled: bool = False, wait: timedelta = timedelta(0)
    ) -> None:
        super().__init__(message)
        self.throttled = throttled
        self.wait = wait  # how long a throttled sign-in must wait


def hash_password(password: str) -> str:
    """The stored form of a password (werkzeug's scrypt, salted)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refused(
            "short_password",
            "a password needs at least %(n)d characters",
            n=MIN_PASSWORD_LENGTH,
        )
    return generate_password_hash(password)


def set_password(session: Session, staff: StaffMember, password: str) -> None:
    """A new password; it signs the staff member out everywhere."""
    staff.password_hash = hash_password(password)
    if staff.id is not None:
        staff_sessions.end_all(session, staff.id, current_time(session))


def normalize_email(email: str) -> str:
    return email.strip().lower()[:254]


def wait_after(failures: int, allowed: int) -> timedelta:
    """How long after its last failure a counter lets the next attempt in."""
    if failures < allowed:
        return timedelta(0)
    wait: timedelta = FIRST_WAIT * 2 ** min(failures - allowed, 20)
    return min(wait, LONGEST_WAIT)


def sign_in(
    session: Session, email: str, password: str, address: str, *, now: datetime | None = None
) -> StaffMember:
    """The active staff member with this email and password; every checked attempt counts."""
    now = now or utcnow()
    email, address = normalize_email(email), address[:64]
    counters = _locked_counters(session, {"pair": f"{email} {address}", "address": address}, now)
    wait = max(_left(counters[limit.what], limit, now) for limit in LIMITS)
    if wait > timedelta(0):
        raise SignInRefused(
            "too many failed attempts: wait and try again", throttled=True, wait=wait
        )
    staff = session.scalars(
        select(StaffMember).where(func.lower(StaffMember.email) == email)
    ).first()
    known = staff is not None and staff.active and staff.password_hash is not None
    stored = staff.password_hash if known and staff is not None else None
    matches = check_password_hash(stored or _NOBODY, password)
    if known and matches and staff is not None:
        counters["pair"].failures = 0
        return staff
    for counter in counters.values():
        counter.failures += 1
        counter.last_at = now
    raise SignInRefused("wrong email or password")


def _left(counter: SignInLimit, limit: Limit, now: datetime) -> timedelta:
    """How long this counter still holds the next attempt back (nothing under its limit, even
    when a parallel attempt's failure is newer than now)."""
    if counter.failures < limit.failures:
        return timedelta(0)
    return max(counter.last_at + wait_after(counter.failures, limit.failures) - now, timedelta(0))


def _locked_counters(
    session: Session, keys: dict[str, str], now: datetime
) -> dict[str, SignInLimit]:
    """The counters of these keys, made if missing, locked until the end of the transaction
    (in the keys' order, so two attempts never wait for each other in a circle)."""
    session.execute(delete(SignInLimit).where(SignInLimit.last_at < now - FORGET_AFTER))
    ordered = sorted(set(keys.values()))
    for key in ordered:
        session.execute(
            insert_or_skip(session, SignInLimit), {"key": key, "failures": 0, "last_at": now}
        )
    rows = session.scalars(
        select(SignInLimit)
        .where(SignInLimit.key.in_(ordered))
        .order_by(SignInLimit.key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    by_key = {row.key: row for row in rows}
    return {what: by_key[key] for what, key in keys.items()}


def demo_passwords(session: Session) -> list[str]:
    """Give the demo password to the staff of the demo directory (``.example`` addresses) who
    have none. The caller makes sure this is a developer's machine."""
    given = []
    for staff in session.scalars(select(StaffMember).where(StaffMember.password_hash.is_(None))):
        if staff.email.endswith(".example"):
            set_password(session, staff, DEMO_PASSWORD)
            given.append(staff.email)
    return given
