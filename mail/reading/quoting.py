"""What the writer wrote, apart from the history their mail program quoted under it.

``split_quoted`` cuts a message's text where the quoted history begins: an attribution line
("On … wrote:", « Le … a écrit : »), an Outlook header block ("-----Original Message-----",
"De : … Envoyé : …"), or the first run of "> " lines after which nothing new is written. The
staff read the new words first and unfold the rest; nothing is thrown away.

A forwarded message is not history: it is what the client asks about ("Pouvez-vous regarder
ceci ?" above a supplier's notice). A subject that says so ("TR :", "Fwd:") or a forwarding
line met before any history keeps the whole text as the writer's.
"""

from __future__ import annotations

import re

# Attribution lines, as the common mail programs write them, in French and English.
_ATTRIBUTION = re.compile(
    r"^\s*(?:"
    r"on\b.{0,200}\bwrote\s*:\s*$"  # Gmail, Apple Mail, Thunderbird (English)
    r"|le\b.{0,200}\ba\s+écrit\s*:\s*$"  # the same in French
    r"|-{2,}\s*(?:original message|message d['\u2019]origine)\s*-{2,}\s*$"
    r")",
    re.IGNORECASE,
)
# The line mail programs put above a forwarded message (Gmail, Thunderbird, Apple Mail).
_FORWARDING = re.compile(
    r"^\s*(?:-{2,}\s*(?:forwarded message|message transféré)\s*-{2,}"
    r"|begin forwarded message\s*:|début du message réexpédié\s*:)\s*$",
    re.IGNORECASE,
)
# "Fwd:", "FW:", "TR :" (Outlook in French), "Transf. :"; "Re: Fwd:" answers a forward.
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|tr|transf\.?|wg)\s*:", re.IGNORECASE)
# Outlook's block: a From/De line followed within a few lines by Sent/Envoyé.
_FROM = re.compile(r"^\s*\**(?:from|de)\s*\**\s*:", re.IGNORECASE)
_SENT = re.compile(r"^\s*\**(?:sent|envoyé|date)\s*\**\s*:", re.IGNORECASE)
_QUOTED = re.compile(r"^\s*>")


def split_quoted(text: str, subject: str = "") -> tuple[str, str]:
    """(the new text, the quoted history); the history is "" when there is none, as for a
    message whose ``subject`` says it is forwarded."""
    if _FORWARD_SUBJECT.match(subject):
        return text.strip(), ""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if _FORWARDING.match(line):
            break
        if _starts_history(lines, index, line):
            fresh = "\n".join(lines[:index]).rstrip()
            if fresh:  # a message that is all quote keeps it as its text
                return fresh, "\n".join(lines[index:]).strip()
            break
    return text.strip(), ""


def first_lines(text: str, subject: str = "", *, lines: int = 8, chars: int = 600) -> str:
    """The beginning of the new text, for a notice: a few lines (blank ones not counted, one
    kept between paragraphs, as the client wrote them), cut at a word."""
    fresh, _ = split_quoted(text, subject)
    written = [line for line in fresh.splitlines() if line.strip()]
    kept: list[str] = []
    for line in fresh.strip().splitlines():
        if line.strip():
            if len(kept) - kept.count("") == lines:
                break
            kept.append(line)
        elif kept and kept[-1]:
            kept.append("")
    excerpt = "\n".join(kept).rstrip()
    if len(excerpt) > chars:
        excerpt = excerpt[:chars].rsplit(" ", 1)[0] + " …"
    elif len(kept) - kept.count("") < len(written):
        excerpt += "\n…"
    return excerpt


def _starts_history(lines: list[str], index: int, line: str) -> bool:
    if _ATTRIBUTION.match(line):
        return True
    if _FROM.match(line) and any(_SENT.match(later) for later in lines[index + 1 : index + 4]):
        return True
    # A run of quoted lines with nothing but more quotes, blanks or a signature after it.
    if _QUOTED.match(line):
        rest = [later for later in lines[index:] if later.strip()]
        quoted = sum(1 for later in rest if _QUOTED.match(later))
        return quoted >= max(1, len(rest) - 3) and quoted * 2 > len(rest)
    return False
