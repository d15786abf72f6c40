"""Phone numbers: parse what people type, or what a carrier sends as caller ID, into E.164,
the only form the product stores. A leaf module: it knows nothing of the rest of the product."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "CA"


class InvalidPhoneNumber(ValueError):
    """A phone number that cannot be dialled; the message names the field and the value."""

    def __init__(self, field: str, value: str) -> None:
        super().__init__(f"{field}: {value!r} is not a valid phone number")
        self.field = field
        self.value = value


def to_e164(value: str, field: str = "phone", region: str = DEFAULT_REGION) -> str:
    """Return ``value`` in E.164 (``+15145550101``), or raise InvalidPhoneNumber."""
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(field, value) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(field, value)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def masked(e164: str) -> str:
    """A number fit for a log line: the last two digits only (``+1514…01``)."""
    if len(e164) <= 6:
        return "…"
    return f"{e164[:5]}…{e164[-2:]}"


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


def parse_caller_id(raw: str) -> str | None:
    """E.164 for a real telephone number; None for anonymous, client:, sip: or garbage."""
    value = raw.strip()
    if value.lower() in ANONYMOUS_IDS or ":" in value or len(value) > 32:
        return None
    try:
        return to_e164(value, field="From")
    except InvalidPhoneNumber:
        return None


def national(e164: str) -> str | None:
    """``+15145550142`` as people write it at home: ``(514) 555-0142``; None if not a number."""
    try:
        parsed = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    if parsed.country_code != phonenumbers.country_code_for_region(DEFAULT_REGION):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
