"""The clock and the calendar in words, French and English: "14 h 30" / "2:30 PM",
"lundi 30 novembre" / "Monday, November 30". Heard on the phone line, read in emails and texts."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

DAY_NAMES = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTH_NAMES = {
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def clock(minutes: int, language: str) -> str:
    """17:00 → "17 h" / "5 PM"; 8:30 → "8 h 30" / "8:30 AM"."""
    hour, minute = divmod(minutes, 60)
    if language == "fr":
        return f"{hour} h" if minute == 0 else f"{hour} h {minute:02d}"
    suffix = "AM" if hour % 24 < 12 else "PM"
    twelve = hour % 12 or 12
    return f"{twelve} {suffix}" if minute == 0 else f"{twelve}:{minute:02d} {suffix}"


def duration(minutes: int, language: str) -> str:
    """Minutes as hours and minutes: "1 h 45" in French, "1 h 45 min" in English; "45 min"."""
    sign = "-" if minutes < 0 else ""
    whole, rest = divmod(abs(minutes), 60)
    if not whole:
        return f"{sign}{rest} min"
    if not rest:
        return f"{sign}{whole} h"
    return f"{sign}{whole} h {rest:02d}" if language == "fr" else f"{sign}{whole} h {rest} min"


def day_and_date(day: date, language: str) -> str:
    weekday, month = DAY_NAMES[language][day.weekday()], MONTH_NAMES[language][day.month - 1]
    if language == "fr":
        return f"{weekday} {'1er' if day.day == 1 else day.day} {month}"
    return f"{weekday}, {month} {day.day}"


def full_date(day: date, language: str) -> str:
    """A date with its year, in writing: "mardi 1er décembre 2026", "Tuesday, December 1, 2026"."""
    separator = " " if language == "fr" else ", "
    return f"{day_and_date(day, language)}{separator}{day.year}"


# A moment with its weekday, in each language's own style; the year only when it is not this
# year's. No all-digit date: "12-01" is January 12 to a French reader and December 1 to others.
MOMENT_PATTERNS = {
    "fr": ("EEE d MMM, H 'h' mm", "EEE d MMM y, H 'h' mm"),
    "en": ("EEE MMM d, h:mm a", "EEE MMM d, y, h:mm a"),
}
# The same, without punctuation, for an SMS that must stay short: "lun. 7 déc. 12 h 25".
SMS_PATTERNS = {
    "fr": ("EEE d MMM H 'h' mm", "EEE d MMM y H 'h' mm"),
    "en": ("EEE MMM d h:mm a", "EEE MMM d y h:mm a"),
}


def moment(when: datetime, zone: ZoneInfo, language: str, *, this_year: int) -> str:
    """ "lun. 7 déc., 12 h 25" / "Mon Dec 7, 12:25 PM" (Babel's CLDR names)."""
    return _formatted(MOMENT_PATTERNS, when, zone, language, this_year)


def sms_moment(when: datetime, zone: ZoneInfo, language: str, *, this_year: int) -> str:
    """ "lun. 7 déc. 12 h 25" / "Mon Dec 7 12:25 PM": a date no one can misread, in a text."""
    return _formatted(SMS_PATTERNS, when, zone, language, this_year)


def _formatted(
    patterns: dict[str, tuple[str, str]], when: datetime, zone: ZoneInfo, language: str, year: int
) -> str:
    local = when.astimezone(zone)
    pattern = patterns[language][0 if local.year == year else 1]
    return format_datetime(local, pattern, tzinfo=zone, locale=language)
