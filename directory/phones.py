"""Phone numbers: parse what people type into E.164, the only form the product stores."""

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
