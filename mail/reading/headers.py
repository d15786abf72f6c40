"""Header values read defensively: a malformed header degrades to its raw text, never raises."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from mail.reading.text import one_line, unescape_surrogates

_ANGLED_ID = re.compile(r"<([^<>\s]+)>")
_MAX_IDS = 50  # only the newest References matter for threading; a hostile header stays small
_MAX_ADDRESS = 254  # RFC 5321's limit on a forward path


def raw_values(message: Message, name: str) -> list[str]:
    """Every occurrence of a header as the sender wrote it (unfolded, still RFC 2047 encoded)."""
    wanted = name.lower()
    values = []
    for key, value in message.raw_items():
        if key.lower() == wanted:
            values.append(unescape_surrogates(str(value)).replace("\r", "").replace("\n", " "))
    return values


def decoded(message: Message, name: str) -> str:
    """The first occurrence of a header, RFC 2047 decoded; its raw text if decoding fails."""
    raw = raw_values(message, name)
    if raw and not raw[0].isascii():
        # Raw 8-bit bytes, no RFC 2047: the parser would show U+FFFD for each of them, where
        # the raw text has them decoded as UTF-8 or, failing that, Windows-1252.
        return raw[0]
    try:
        value = message.get(name)
        return "" if value is None else unescape_surrogates(str(value))
    except Exception:  # the email package's header parser has edge cases that raise
        raw = raw_values(message, name)
        return raw[0] if raw else ""


def addresses(message: Message, *names: str) -> list[tuple[str, str]]:
    """(display name, lowercased addr-spec) of every address in these headers, no repeats."""
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name in names:
        for display, spec in _parsed_addresses(message, name):
            spec = one_line(spec, limit=_MAX_ADDRESS).lower()
            if spec and " " not in spec and spec not in seen:
                seen.add(spec)
                found.append((one_line(display, limit=200), spec))
    return found


def _parsed_addresses(message: Message, name: str) -> list[tuple[str, str]]:
    try:
        found: list[tuple[str, str]] = []
        for header in message.get_all(name) or []:
            parsed = getattr(header, "addresses", None)
            if parsed is None:  # Delivered-To, X-Original-To: no address header to the policy
                found.extend(getaddresses([str(header)]))
            else:
                found.extend((address.display_name, address.addr_spec) for address in parsed)
        return found
    except Exception:  # fall back on the older, more forgiving parser
        return getaddresses(raw_values(message, name))


# An address mail can be sent to: a local part and a domain of dotted labels (letters of any
# script, digits, hyphens), nothing else. "<>", "undisclosed-recipients:;" and the like are not.
_LOCAL = re.compile(r"^[^\s@<>()\[\],;:\\\"\x00-\x1f\x7f]{1,64}$")
_LABEL = re.compile(r"^(?!-)[\w-]{1,63}(?<!-)$", re.UNICODE)


def deliverable(spec: str) -> bool:
    """Whether ``spec`` is an address an answer may be sent to."""
    if not spec or len(spec) > _MAX_ADDRESS or spec.count("@") != 1:
        return False
    local, domain = spec.rsplit("@", 1)
    labels = domain.split(".")
    return (
        bool(_LOCAL.match(local))
        and not local.startswith(".")
        and len(labels) >= 2
        and all(_LABEL.match(label) and "_" not in label for label in labels)
        and not labels[-1].isdigit()
    )


def message_ids(message: Message, name: str) -> list[str]:
    """The ids in Message-ID, In-Reply-To or References, without <>, in order, no repeats."""
    ids: list[str] = []
    for value in raw_values(message, name):
        found = _ANGLED_ID.findall(value) or value.split()
        ids.extend(one_line(found_id.strip("<>"), limit=250) for found_id in found)
    unique = list(dict.fromkeys(i for i in ids if i))
    return unique[-_MAX_IDS:]


def sent_at(message: Message) -> datetime | None:
    """The Date header as an aware datetime; "-0000" and zone-less dates are taken as UTC."""
    raw = raw_values(message, "Date")
    if not raw:
        return None
    try:
        when = parsedate_to_datetime(raw[0])
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
