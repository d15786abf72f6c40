"""What comes in through a web door is checked once, before any view reads it: a request with a
NUL or another control character, an over-long value, a number no route could mean or a form's
date outside any sane year is refused with a 400 (a 404 for a path), so no service or database
ever sees one. A query's filters are the page's to ignore, saying so (the ticket list, the
dashboard). ``create_app`` installs the check for every door but two kinds. Twilio's doors
(voice, SMS) clean what they read instead (``clean``; ivr/twiml.py), as a caller or a technician
must always get an answer. The mail hook's raw messages are the mail reader's to bound (they
may carry ESC, ISO-2022-JP's shift).

The parsers below are for the values a view reads itself: a number or a day that does not fit
is None or a ValueError, never another exception.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, abort, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadRequest

# A form's text may hold tabs and line breaks; nothing else below the space, nor DEL.
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A path or a query string is one line: no control character at all (``next=`` with CR/LF).
CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f]")
LONGEST_QUERY_VALUE = 2_000
LONGEST_FORM_VALUE = 20_000  # a note or an SMS is far shorter; a pasted email fits
# The database's integers (ticket numbers, ids) are 32-bit.
LARGEST_INTEGER = 2**31 - 1
# A date typed in a form or a query (ISO, or a datetime-local field's "2026-12-01T10:15").
DATE_LIKE = re.compile(r"\s*(\d+)-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)?\s*")
SANE_YEARS = range(1900, 2200)


class InputRefused(BadRequest):
    """A request refused for what it holds; ``description`` says what (in English, for logs and
    programs; the console's error page words it for its reader, from ``problem``, and shows the
    typed text)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(description=problem.english)
        self.problem = problem


@dataclass(frozen=True)
class Problem:
    """What is wrong with a request: ``kind`` (control, too_long, date), in which field."""

    kind: str
    field: str
    english: str
    limit: int = 0  # the longest value allowed there, for a text too long


def install(app: Flask, exempt_blueprints: Collection[str]) -> None:
    def check() -> ResponseReturnValue | None:
        if request.blueprint in exempt_blueprints:
            return None
        if _bad_route_number():
            abort(404)
        problem = problem_in(request.path, request.args.items(multi=True), line=True)
        if problem is None and request.method == "POST":
            problem = problem_in("", request.form.items(multi=True), line=False)
        if problem:
            raise InputRefused(problem)
        return None

    app.before_request(check)


def problem_in(path: str, values: Iterable[tuple[str, str]], *, line: bool) -> Problem | None:
    """What is wrong with a path and its (name, value) pairs, or None."""
    control = CONTROL_IN_LINE if line else CONTROL_IN_TEXT
    longest = LONGEST_QUERY_VALUE if line else LONGEST_FORM_VALUE
    if CONTROL_IN_LINE.search(path):
        return Problem("control", "", "a control character in the path")
    for name, value in values:
        shown = _shown(name)
        if control.search(name) or control.search(value):
            return Problem("control", shown, f"a control character in {shown}")
        if len(name) > 200 or len(value) > longest:
            return Problem("too_long", shown, f"{shown} is too long", longest)
        if not line and not _sane_date(value):
            return Problem("date", shown, f"{shown} is not a date in a sane range")
    return None


def clean(text: str, limit: int) -> str:
    """Text from a door that must answer whatever it gets (Twilio's SMS): control characters
    but tabs and line breaks removed, cut to ``limit``."""
    return CONTROL_IN_TEXT.sub("", text)[:limit]


def whole_number(text: str, largest: int = LARGEST_INTEGER) -> int | None:
    """A plain run of ASCII digits that fits, or None (no sign, no "²", no 20-digit ticket)."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(largest)):
        return None
    number = int(text)
    return number if number <= largest else None


# A whole number as people type one: ASCII digits, a minus at most. int() alone would also take
# any script's digits ("٣"), "1_000" and "+3".
INTEGER = re.compile(r"-?[0-9]{1,18}")


def integer(text: str, largest: int = LARGEST_INTEGER) -> int:
    """A whole number typed in ASCII digits that a database integer holds; ValueError
    otherwise, as int() raises."""
    text = text.strip()
    if not INTEGER.fullmatch(text):
        raise ValueError(f"{text!r} is not a whole number in ASCII digits")
    return within(int(text), largest)


def ascii_number(text: str) -> str:
    """``text``, to be read by float() or Decimal(), when all its characters are ASCII: both
    take any script's digits ("٣"). ValueError otherwise."""
    if not text.isascii():
        raise ValueError(f"{text!r} is not written in ASCII digits")
    return text


def within(number: int, largest: int = LARGEST_INTEGER) -> int:
    """``number`` if a database integer can hold it; ValueError otherwise (what int() raises
    on a value that is no number, so a parser's refusal covers both)."""
    if not -largest <= number <= largest:
        raise ValueError(f"{number} is out of range")
    return number


def measure(number: float, largest: float) -> float:
    """A float that is a real quantity (not NaN, not infinite, not absurd); else ValueError."""
    if not -largest <= number <= largest:  # NaN compares false
        raise ValueError(f"{number} is out of range")
    return number


def day(text: str) -> date | None:
    """An ISO date in a sane year, or None."""
    try:
        found = date.fromisoformat(text.strip())
    except ValueError:
        return None
    return found if found.year in SANE_YEARS else None


def moment(text: str) -> datetime | None:
    """A date and time ("2026-12-01T10:15", as a datetime-local field sends it) in a sane
    year, or None. It has no zone unless the text gave one."""
    try:
        found = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return found if found.year in SANE_YEARS else None


def never_shown(reading: datetime, zone: ZoneInfo) -> bool:
    """Whether no clock in ``zone`` ever showed ``reading`` (a zoneless wall-clock time): 2:30
    on the night the clocks spring forward. zoneinfo would quietly read it as 3:30."""
    there = reading.replace(tzinfo=zone)
    return there.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != reading


def _sane_date(value: str) -> bool:
    match = DATE_LIKE.fullmatch(value)
    return match is None or (len(match.group(1)) == 4 and int(match.group(1)) in SANE_YEARS)


def _bad_route_number() -> bool:
    numbers = (v for v in (request.view_args or {}).values() if isinstance(v, int))
    return any(not 0 <= number <= LARGEST_INTEGER for number in numbers)


def _shown(name: str) -> str:
    return CONTROL_IN_LINE.sub("?", name)[:40] or "a value"
