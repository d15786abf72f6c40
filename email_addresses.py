"""Email addresses typed by people: read with the standard library's RFC 5322 parser into the one
form the product stores. A leaf module: it knows nothing of the rest of the product."""

from __future__ import annotations

import re
from email.errors import HeaderParseError
from email.headerregistry import Address

MAX_LENGTH = 254  # RFC 5321's limit on a forward path, and the columns' width
# One label of a host name (RFC 1123), once in ASCII: letters, digits, inner hyphens.
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


class InvalidEmailAddress(ValueError):
    """Not one address mail can be sent to; the message names the field and the value."""

    def __init__(self, field: str, value: str) -> None:
        super().__init__(f"{field}: {value!r} is not a valid email address")
        self.field = field
        self.value = value


def normalized(value: str, field: str = "email") -> str:
    """``value`` as one addr-spec, its domain in lower case (``Marie@boulangerie.example``).

    Raises InvalidEmailAddress for anything else: a line break (it would become a header of every
    message sent to the address), two addresses, a display name, a missing part, a domain that is
    no public host name (``b``, ``[192.0.2.1]``).
    """
    try:
        address = Address(addr_spec=value)
    except (ValueError, IndexError, HeaderParseError):
        # The parser's refusals are ValueErrors (defects among them), HeaderParseErrors, and an
        # IndexError for an address that ends at its "@".
        raise InvalidEmailAddress(field, value) from None
    domain = address.domain.lower()
    if not address.username or not _host_name(domain):
        raise InvalidEmailAddress(field, value)
    spec = str(Address(username=address.username, domain=domain))
    if len(spec) > MAX_LENGTH:
        raise InvalidEmailAddress(field, value)
    return spec


def _host_name(domain: str) -> bool:
    """A public host name: two labels at least, each a host name's (an international one in its
    ASCII form); not an address in brackets, nor a routing trick (``%``, ``_``)."""
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_domain.split(".")
    return len(labels) >= 2 and all(_LABEL.fullmatch(label) for label in labels)
