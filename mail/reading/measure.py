"""Mail measured before it is parsed: a pass over the raw bytes that refuses a hostile shape
(too many parts or enclosed messages, too deep, too many or too long headers) before the email
package sees it, and a deadline that bounds the parse and the walk that follow.

The email package's cost grows with the number of parts and the nesting, and its limits would
only apply once the whole message is parsed: a 1 MB message of 20,000 parts takes seconds. This
pass is linear in the bytes and counts what the parser would build.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

# MIME boundaries as Content-Type parameters declare them, quoted or not (RFC 2046 §5.1.1
# allows 70 characters; longer ones are read too, whatever their length, or they would hide
# their parts).
_BOUNDARY = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]+)"|([^\s;"]+))', re.I)
# A boundary split in RFC 2231 pieces (; boundary*0=…; boundary*1=…), a parameter of a
# header: not read whole here.
_SPLIT_BOUNDARY = re.compile(rb";\s*boundary\*\d+\*?\s*=", re.I)
# A line that opens (--b) or closes (--b--) a part of a multipart.
_DELIMITER = re.compile(rb"^--([^\r\n]+?)(--)?[ \t]*\r?$", re.M)
# The fields the email package parses as address lists: about 50 KB of them a second.
_ADDRESS_FIELD = re.compile(
    rb"(?:resent-)?(?:from|sender|reply-to|to|cc|bcc|delivered-to|x-original-to)[ \t]*:", re.I
)
# An empty line, as the parser ends lines: CRLF, LF or a bare CR.
_HEADER_END = re.compile(rb"(?:\r\n|\n|\r(?!\n))(?:\r\n|\n|\r(?!\n))")
# A part that is itself a whole message, which the parser reads as one more level.
_ENCLOSED = re.compile(rb"^content-type:[ \t]*message/", re.I | re.M)


@dataclass(frozen=True)
class Limits:
    """What one readable email may hold; beyond any of these it is hostile, not mail."""

    parts: int = 300  # MIME parts, containers included
    depth: int = 30  # multiparts within multiparts
    enclosed: int = 50  # forwarded messages, reports: each is read as a message of its own
    headers: int = 500  # fields in the message's own header
    header_bytes: int = 64 * 1024  # one field, folded lines included
    header_block_bytes: int = 512 * 1024  # the message's whole header
    # Its address fields together: 700 recipients with their names, read in about a second.
    address_bytes: int = 48 * 1024
    decoded_bytes: int = 64 * 1024 * 1024  # every part's payload, decoded, together


LIMITS = Limits()


class TooSlow(Exception):
    """The deadline passed while reading a message."""


@dataclass(frozen=True)
class Deadline:
    """A moment on the monotonic clock after which reading stops."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def check(self) -> None:
        if time.monotonic() > self.at:
            raise TooSlow


def hostile_shape(raw: bytes, limits: Limits = LIMITS) -> str | None:
    """Why these bytes are not to be parsed ("too_many_parts", "too_many_enclosed", "too_deep",
    "too_many_headers", "header_too_long"), or None when their shape is that of mail."""
    return _header_problem(raw, limits) or _mime_problem(raw, limits)


def _header_problem(raw: bytes, limits: Limits) -> str | None:
    end = _HEADER_END.search(raw, 0, limits.header_block_bytes + 4)
    block = raw[: end.start() if end else limits.header_block_bytes + 1]
    # The parser ends a header line at a bare CR too: so does this count.
    block = block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if len(block) > limits.header_block_bytes:
        return "header_too_long"
    fields = re.split(rb"\n(?![ \t])", block)
    if len(fields) > limits.headers:
        return "too_many_headers"
    if any(len(field) > limits.header_bytes for field in fields):
        return "header_too_long"
    if sum(len(f) for f in fields if _ADDRESS_FIELD.match(f)) > limits.address_bytes:
        return "header_too_long"
    return None


def _mime_problem(raw: bytes, limits: Limits) -> str | None:
    """Parts and depth as the parser would find them: a declared boundary opens a multipart,
    its delimiter lines open parts, its closing line ends it (and any left open within)."""
    # The parser ends a line at CR, LF or CRLF alike: so does this count.
    raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    declared = {match.group(1) or match.group(2) for match in _BOUNDARY.finditer(raw)}
    split = _SPLIT_BOUNDARY.search(raw) is not None  # then any delimiter line counts
    if len(_ENCLOSED.findall(raw)) > limits.enclosed:
        return "too_many_enclosed"
    open_ones: list[bytes] = []
    parts = 0
    for line in _DELIMITER.finditer(raw):
        boundary, closing = line.group(1), line.group(2)
        if boundary not in declared and closing and boundary + b"--" in declared:
            boundary, closing = boundary + b"--", None  # a boundary that itself ends in "--"
        if boundary not in declared and not split:
            continue
        if closing:
            if boundary in open_ones:
                del open_ones[open_ones.index(boundary) :]
            continue
        parts += 1
        if boundary not in open_ones:
            open_ones.append(boundary)
        if parts > limits.parts:
            return "too_many_parts"
        if len(open_ones) > limits.depth:
            return "too_deep"
    # Declared but never used: the parser still reads each header that declares one.
    return "too_many_parts" if len(declared) > limits.parts else None
