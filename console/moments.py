"""Moments in the company's time zone, in the reader's style: to the minute for a deadline, to
the second for the steps of a call."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import format_datetime, get_locale, to_user_timezone

from time_words import MOMENT_PATTERNS

# A step of a call, to the second (a ring, a refusal and an acceptance come seconds apart);
# the second pattern when the step is not on the call's first day.
SECOND_PATTERNS = {
    "fr": ("H 'h' mm 'min' ss 's'", "EEE d MMM, H 'h' mm 'min' ss 's'"),
    "en": ("h:mm:ss a", "EEE MMM d, h:mm:ss a"),
}


def _language() -> str:
    return "fr" if str(get_locale()) == "fr" else "en"


def when(moment: datetime | None) -> str:
    """A moment with its weekday, in the reader's style:
    "lun. 7 déc., 12 h 25" / "Mon Dec 7, 12:25 PM"; the year when it is not this one."""
    if moment is None:
        return ""
    local, this_year = to_user_timezone(moment), to_user_timezone(datetime.now(UTC)).year
    patterns = MOMENT_PATTERNS[_language()]
    return str(format_datetime(moment, patterns[0 if local.year == this_year else 1]))


def to_the_second(moment: datetime | None, day_of: datetime | None = None) -> str:
    """The clock to the second, "14 h 00 min 05 s" / "2:00:05 PM"; with the moment's day in
    front when it is not the day of ``day_of`` (a call's end reported the next day)."""
    if moment is None:
        return ""
    same_day = day_of is None or (
        to_user_timezone(moment).date() == to_user_timezone(day_of).date()
    )
    return str(format_datetime(moment, SECOND_PATTERNS[_language()][0 if same_day else 1]))
