"""The subject line: cleaned for display, and the ticket number a reply quotes in it."""

from __future__ import annotations

import re

from mail.reading.text import one_line

MAX_SUBJECT_CHARS = 250

# "[#1234]", "[# 1234]", "[Billet #1234]", "[AltiLogix #1234]": a # and digits inside brackets.
# A bare "#1234" outside brackets is not taken: "facture #1234" is the client's own number.
_TICKET_TOKEN = re.compile(r"\[[^\[\]#]{0,40}#\s*(\d{1,9})\s*\]")


def clean_subject(value: str) -> str:
    """One line, no control characters, at most MAX_SUBJECT_CHARS characters."""
    return one_line(value, limit=MAX_SUBJECT_CHARS)


def ticket_token(subject: str) -> int | None:
    """The ticket number quoted in the subject, the first one if there are several."""
    found = _TICKET_TOKEN.search(subject)
    return int(found.group(1)) if found else None
