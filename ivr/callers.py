"""Who is calling: the caller ID, parsed and matched to a contact of the directory."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.phones import InvalidPhoneNumber, to_e164
from models import Contact, ContactPhone

# What carriers and Twilio send when the caller ID is withheld or unknown.
ANONYMOUS_IDS = {
    "",
    "anonymous",
    "restricted",
    "unknown",
    "private",
    "unavailable",
    "+266696687",
    "+7378742833",
    "266696687",
    "7378742833",
}


@dataclass(frozen=True)
class Caller:
    number: str | None  # E.164, or None for an unusable caller ID
    contact: Contact | None

    @property
    def authorized(self) -> bool:
        return self.contact is not None and self.contact.authorized


def parse_caller_id(raw: str) -> str | None:
    """E.164 for a real telephone number; None for anonymous, client:, sip: or garbage."""
    value = raw.strip()
    if value.lower() in ANONYMOUS_IDS or ":" in value or len(value) > 32:
        return None
    try:
        return to_e164(value, field="From")
    except InvalidPhoneNumber:
        return None


def identify(session: Session, raw_from: str) -> Caller:
    number = parse_caller_id(raw_from)
    if number is None:
        return Caller(None, None)
    contact = session.scalar(
        select(Contact).join(ContactPhone).where(ContactPhone.number == number)
    )
    return Caller(number, contact)
