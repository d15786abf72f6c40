"""The clock and the calendar in words, French and English: "14 h 30" / "2:30 PM",
"lundi 30 novembre" / "Monday, November 30". Heard on the phone line, read in emails."""

from __future__ import annotations

from datetime import date

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


def day_and_date(day: date, language: str) -> str:
    weekday, month = DAY_NAMES[language][day.weekday()], MONTH_NAMES[language][day.month - 1]
    if language == "fr":
        return f"{weekday} {'1er' if day.day == 1 else day.day} {month}"
    return f"{weekday}, {month} {day.day}"
