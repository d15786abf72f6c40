"""The body text and the attachments of a parsed message, whatever its MIME tree looks like."""

from __future__ import annotations

import base64
import hashlib
import quopri
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser

from mail.reading.headers import decoded
from mail.reading.html_text import html_to_text
from mail.reading.measure import LIMITS, Deadline
from mail.reading.message import Attachment
from mail.reading.text import body_text, decode_bytes, one_line

_MAX_DEPTH = LIMITS.depth  # nesting beyond this is hostile, not mail
_MAX_PARTS = LIMITS.parts
_PATH = re.compile(r"^.*[/\\]")
_MAX_SUBJECT_NAME = 150  # a subject as a file name: room left for ".eml" within the 200


class TooBig(Exception):
    """The parts decode to more bytes than any mail holds (``Limits.decoded_bytes``)."""


@dataclass(frozen=True)
class Body:
    text: str
    truncated: bool


def leaves(message: Message) -> Iterator[Message]:
    """Every non-multipart part, depth first; a forwarded message counts as one part."""
    stack: list[tuple[Message, int]] = [(message, 0)]
    count = 0
    while stack and count < _MAX_PARTS:
        part, depth = stack.pop()
        count += 1
        children = part.get_payload() if part.is_multipart() else None
        if isinstance(children, list) and depth < _MAX_DEPTH and not _is_forward(part):
            stack.extend(
                (child, depth + 1) for child in reversed(children) if isinstance(child, Message)
            )
        elif not part.is_multipart() or _is_forward(part):
            yield part


# message/* parts the email package parses into sub-messages, but which are one file to a reader.
_WHOLE_MESSAGES = frozenset(
    {
        "message/rfc822",
        "message/global",
        "message/delivery-status",
        "message/disposition-notification",
    }
)


def _is_forward(part: Message) -> bool:
    return part.get_content_type() in _WHOLE_MESSAGES


def find_body(message: EmailMessage) -> Message | None:
    """The part a mail client would show: text/plain first, else text/html."""
    for preference in (("plain",), ("html",)):
        try:
            part = message.get_body(preferencelist=preference)
        except Exception:  # get_body walks headers that may be malformed
            part = None
        if isinstance(part, Message) and _text_of(part).strip():
            return part
    return None


def read_body(part: Message | None, max_chars: int) -> Body:
    """The body as text, cut at max_chars; HTML is turned into text."""
    if part is None:
        return Body("", False)
    text = _text_of(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    text = body_text(text)
    return Body(text[:max_chars], len(text) > max_chars)


def _text_of(part: Message) -> str:
    try:
        charset = part.get_content_charset()
    except Exception:  # a charset parameter the parser cannot even read
        charset = None
    return decode_bytes(_payload_bytes(part), charset)


def _payload_bytes(part: Message) -> bytes:
    """The decoded payload (quoted-printable, base64 undone); b"" when there is none."""
    try:
        if _is_forward(part):
            return _enclosed_bytes(part)
        payload = part.get_payload(decode=True)
    except Exception:  # a body the email package cannot re-serialize or decode
        return b""
    return payload if isinstance(payload, bytes) else b""


# The enclosed message written back as it came: its header lines as the sender folded them, with
# the line ending of mail on the wire, so that the .eml opens as the original in a mail client.
_AS_SENT = policy.default.clone(refold_source="none", linesep="\r\n")
_ENCLOSING = frozenset({"message/rfc822", "message/global"})  # one whole message inside
# RFC 2046 forbids encoding a message/rfc822 part; some gateways do it anyway, and the parser then
# reads the encoded text as a message with no headers: it is decoded here.
_DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "base64": base64.b64decode,  # skips the line breaks
    "quoted-printable": quopri.decodestring,
}


def _enclosed_bytes(part: Message) -> bytes:
    """A forwarded message's own bytes, without the part's headers (an .eml file); another
    message/* part (a delivery report) whole, as before."""
    enclosed = part.get_payload()
    if part.get_content_type() not in _ENCLOSING or not (
        isinstance(enclosed, list) and len(enclosed) == 1 and isinstance(enclosed[0], Message)
    ):
        return part.as_bytes()
    written = enclosed[0].as_bytes(policy=_AS_SENT)
    decode = _DECODERS.get(str(part.get("Content-Transfer-Encoding", "")).strip().lower())
    return decode(written) if decode else written


def read_attachments(
    message: Message,
    body: Message | None,
    max_bytes: int,
    deadline: Deadline | None = None,
    max_decoded: int = LIMITS.decoded_bytes,
) -> tuple[list[Attachment], list[Attachment]]:
    """(kept, refused as bigger than max_bytes); the body and its alternatives are not files.
    Raises TooSlow past the deadline, TooBig past ``max_decoded`` bytes decoded in all."""
    kept: list[Attachment] = []
    refused: list[Attachment] = []
    for number, part in enumerate(leaves(message), start=1):
        if deadline is not None:
            deadline.check()
        if part is body or not _is_attachment(part):
            continue
        content = _payload_bytes(part)
        max_decoded -= len(content)
        if max_decoded < 0:
            raise TooBig
        fits = len(content) <= max_bytes
        attachment = Attachment(
            filename=_filename(part, number, content),
            content_type=part.get_content_type()[:100],
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content if fits else None,
            content_id=_content_id(part),
        )
        (kept if fits else refused).append(attachment)
    return kept, refused


def _is_attachment(part: Message) -> bool:
    """A file, as opposed to the text of the message in another form."""
    try:
        if _raw_filename(part) or part.get_content_disposition() == "attachment":
            return True
        return part.get_content_type() not in ("text/plain", "text/html")
    except Exception:  # better to keep an odd part as a file than to lose it
        return True


def _content_id(part: Message) -> str | None:
    """An inline part's Content-ID (what an HTML body's ``cid:`` names), without <>."""
    try:
        value = str(part.get("Content-ID") or "")
    except Exception:  # a malformed header: the part is still a file
        return None
    found = one_line(value.strip().strip("<>"), limit=250)
    return found or None


def _raw_filename(part: Message) -> str:
    try:
        return part.get_filename() or ""
    except Exception:  # RFC 2231 parameters can be malformed
        return ""


def _filename(part: Message, number: int, content: bytes) -> str:
    """A name safe to show and store: no directories, no control characters, not empty."""
    name = _safe(_PATH.sub("", _raw_filename(part)))
    if name:
        return name
    if part.get_content_type() in _ENCLOSING:
        return _message_name(content)
    return f"piece-jointe-{number}"


def _safe(name: str) -> str:
    return one_line(name, limit=200).strip(". ")


def _message_name(enclosed: bytes) -> str:
    """A forwarded message's file: its subject (a "/" in it is no directory), else a name that
    says what it is in any language."""
    subject = decoded(BytesHeaderParser(policy=policy.default).parsebytes(enclosed), "Subject")
    name = _safe(re.sub(r"[/\\]", "-", subject)[:_MAX_SUBJECT_NAME])
    return f"{name}.eml" if name else "message.eml"
