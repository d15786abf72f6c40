"""Console sessions the server can end. A sign-in makes a row and gives the browser an opaque
key (kept in the signed cookie); every request finds the row by the key's hash. Ending the row
ends every copy of the cookie at once: signing out ends one, a new password, a new role,
leaving or a supervisor's "sign out everywhere" end all of a person's.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from models import StaffMember, StaffSession

# The last-seen time is written at most this often: a page's many requests make one write.
SEEN_EVERY = timedelta(minutes=1)
# An ended or expired row is kept this long (who was signed in, when), then deleted.
KEEP_ENDED = timedelta(days=7)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(session: Session, staff: StaffMember, now: datetime) -> str:
    """A new session for ``staff``; the key to give the browser (the database keeps its hash)."""
    session.execute(delete(StaffSession).where(StaffSession.seen_at < now - KEEP_ENDED))
    key = secrets.token_urlsafe(32)
    session.add(
        StaffSession(key_hash=_hash(key), staff_member_id=staff.id, started_at=now, seen_at=now)
    )
    return key


def find(
    session: Session, key: str, now: datetime, *, idle: timedelta, longest: timedelta
) -> StaffMember | None:
    """The active staff member whose session this key opens, or None: unknown, ended, idle
    longer than ``idle``, started more than ``longest`` ago. A session found is marked seen."""
    found = session.execute(  # one statement: every console request runs it
        select(StaffSession, StaffMember)
        .join(StaffMember, StaffMember.id == StaffSession.staff_member_id)
        .where(StaffSession.key_hash == _hash(key))
    ).first()
    if found is None or found[0].ended_at is not None:
        return None
    row, staff = found
    if now - row.seen_at > idle or now - row.started_at > longest or not staff.active:
        row.ended_at = now
        return None
    if now - row.seen_at >= SEEN_EVERY:
        row.seen_at = now
    return staff


def end(session: Session, key: str, now: datetime) -> None:
    """Sign this session out (every copy of its cookie)."""
    session.execute(
        update(StaffSession)
        .where(StaffSession.key_hash == _hash(key), StaffSession.ended_at.is_(None))
        .values(ended_at=now)
    )


def end_all(session: Session, staff_id: int, now: datetime, *, keep: str = "") -> int:
    """Sign a staff member out everywhere (but the session of key ``keep``); how many ended."""
    ended = session.execute(
        update(StaffSession)
        .where(
            StaffSession.staff_member_id == staff_id,
            StaffSession.ended_at.is_(None),
            StaffSession.key_hash != _hash(keep),
        )
        .values(ended_at=now)
    )
    return int(getattr(ended, "rowcount", 0) or 0)
