"""Personal codes: the 4 digits a supervisor gives an authorized contact, with which they are
known on the phone line when they call from a number not on file (after their account number).

A code is stored hashed (werkzeug's scrypt, as staff passwords) and is never shown, logged or
exported. Ten thousand codes are few, so guessing is what the rules are about: 3 tries a call,
counted on the call's row, and an account whose codes were refused ``FAILURES_A_DAY`` times in
the last 24 hours is asked for none until the window moves on (the count is a sum over the
calls' rows, so every web process on every host sees the same). Every try is checked against
every code of the client, so a wrong code takes as long as a right one.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import Call, Contact
from refusals import Refused

CODE_LENGTH = 4
TRIES_PER_CALL = 3
FAILURES_A_DAY = 10
DAY = timedelta(hours=24)


def _too_easy(code: str) -> bool:
    """One digit four times, or a run up or down (1234, 9876): the first codes anyone tries."""
    steps = {int(b) - int(a) for a, b in itertools.pairwise(code)}
    return len(steps) == 1 and steps <= {-1, 0, 1}


def _contact(session: Session, client_id: int, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or contact.client_id != client_id:
        raise Refused("no_such_contact", "no such contact")
    return contact


def set_code(session: Session, client_id: int, contact_id: int, code: str) -> Contact:
    """A supervisor gives an authorized contact a code; refused when it is not 4 digits, too
    easy to guess, or the code of another contact of the client (a code names one person)."""
    contact = _contact(session, client_id, contact_id)
    if not contact.authorized:
        raise Refused("code_needs_authorized", "only an authorized contact can have a code")
    if len(code) != CODE_LENGTH or not code.isascii() or not code.isdigit():
        raise Refused("bad_code", "a personal code is %(n)d digits", n=CODE_LENGTH)
    if _too_easy(code):
        raise Refused("code_too_easy", "this code is too easy to guess")
    others = [c for c in holders(session, client_id, authorized_only=False) if c.id != contact.id]
    if any(check_password_hash(other.pin_hash or "", code) for other in others):
        raise Refused("code_taken", "another contact of this client has this code")
    contact.pin_hash = generate_password_hash(code)
    return contact


def clear_code(session: Session, client_id: int, contact_id: int) -> Contact:
    contact = _contact(session, client_id, contact_id)
    contact.pin_hash = None
    return contact


def holders(session: Session, client_id: int, *, authorized_only: bool = True) -> Sequence[Contact]:
    """The client's contacts who have a code (the authorized ones: only they may use it)."""
    query = select(Contact).where(Contact.client_id == client_id, Contact.pin_hash.is_not(None))
    if authorized_only:
        query = query.where(Contact.authorized.is_(True))
    return session.scalars(query.order_by(Contact.id)).all()


def match(contacts: Sequence[Contact], code: str) -> Contact | None:
    """The contact whose code this is. Every contact's code is checked, whichever matches, so
    that the time of an answer says nothing of the code."""
    found = None
    for contact in contacts:
        if check_password_hash(contact.pin_hash or "", code) and found is None:
            found = contact
    return found


def failures_in_a_day(session: Session, account: str, now: datetime) -> int:
    """Wrong codes given for this account in the 24 hours before ``now``, all calls together."""
    total = session.scalar(
        select(func.coalesce(func.sum(Call.code_failures), 0)).where(
            Call.account_given == account, Call.started_at > now - DAY
        )
    )
    return int(total or 0)


def locked(session: Session, account: str, now: datetime) -> bool:
    return failures_in_a_day(session, account, now) >= FAILURES_A_DAY
