"""Turning bytes and header strings into clean text, whatever the sender claimed."""

from __future__ import annotations

import codecs
import re
import unicodedata

# Codecs that are "text encodings" to Python but would interpret, not decode, a body.
_REFUSED_CODECS = frozenset({"unicode_escape", "raw_unicode_escape", "idna", "punycode"})
_WIDE_CODECS = ("utf_16", "utf_32")  # not ASCII-compatible: trust them before UTF-8
_SPACES = re.compile(r"[ \t\u00a0]+")
_READ_AS_CP1252 = frozenset({"iso8859_1", "ascii"})


def decode_bytes(data: bytes, declared: str | None) -> str:
    """Decode a body: valid UTF-8 wins over a lying 8-bit charset; cp1252 never fails."""
    codec = _codec_name(declared)
    candidates = ["utf_8"]
    if codec and codec.startswith(_WIDE_CODECS):
        candidates.insert(0, codec)
    elif codec in _READ_AS_CP1252:
        # Outlook labels Windows-1252 text ISO-8859-1 (its dashes and quotes are 0x80-0x9F):
        # read as browsers do (the WHATWG Encoding Standard); Latin-1 for the five bytes
        # Windows-1252 leaves undefined, rather than replacement characters.
        candidates += ["cp1252", "iso8859_1"]
    elif codec:
        candidates.append(codec)
    for name in candidates:
        try:
            return data.decode(name)
        except (UnicodeError, LookupError, ValueError):
            continue
    # Windows-1252 is what unlabelled 8-bit mail from Quebec usually is; replacement never raises.
    return data.decode("cp1252", errors="replace")


def _codec_name(declared: str | None) -> str | None:
    if not declared:
        return None
    try:
        info = codecs.lookup(declared.strip().strip('"'))
    except (LookupError, ValueError, TypeError):
        return None
    name = info.name.replace("-", "_")
    if name in _REFUSED_CODECS or not getattr(info, "_is_text_encoding", True):
        return None
    return name


def unescape_surrogates(value: str) -> str:
    """Recover raw 8-bit header bytes the parser kept as surrogate escapes."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    raw = value.encode("utf-8", errors="surrogateescape")
    return decode_bytes(raw, None)


def without_controls(value: str, *, keep_newlines: bool) -> str:
    """Drop control and invisible format characters (bidi overrides, NUL, ESC...)."""
    kept = []
    for ch in unescape_surrogates(value):
        if keep_newlines and ch in "\n\t":
            kept.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs"):
            kept.append(" " if ch in "\r\n\t" else "")
        else:
            kept.append(ch)
    return "".join(kept)


def one_line(value: str, *, limit: int) -> str:
    """A header value as one trimmed line of at most `limit` characters."""
    flat = _SPACES.sub(" ", without_controls(value, keep_newlines=False)).strip()
    return flat[:limit].rstrip()


def body_text(value: str) -> str:
    """A body with Unix newlines, no control characters and no trailing blanks."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in without_controls(value, keep_newlines=True).split("\n")]
    return "\n".join(lines).strip("\n")
