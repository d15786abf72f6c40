"""Times and hours as callers hear them, from the catalog's sentence patterns."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import i18n
from ivr import menu, prompts, speech
from routing import config
from routing.schedules import Schedule
from time_words import clock

MONTREAL = ZoneInfo("America/Toronto")
NOW = datetime(2026, 11, 27, 10, tzinfo=MONTREAL)  # a Friday
CATALOG = prompts.load()


@pytest.mark.parametrize(
    ("minutes", "fr", "en"),
    [
        (8 * 60 + 30, "8 h 30", "8:30 AM"),
        (17 * 60, "17 h", "5 PM"),
        (12 * 60 + 5, "12 h 05", "12:05 PM"),
        (0, "0 h", "12 AM"),
    ],
)
def test_the_clock_reads_as_people_say_it(minutes: int, fr: str, en: str) -> None:
    assert (clock(minutes, "fr"), clock(minutes, "en")) == (fr, en)


def test_a_deadline_today_tomorrow_or_later() -> None:
    today = datetime(2026, 11, 27, 14, 30, tzinfo=MONTREAL)
    tomorrow = datetime(2026, 11, 28, 7, 30, tzinfo=MONTREAL)
    monday = datetime(2026, 11, 30, 12, 30, tzinfo=MONTREAL)
    assert [speech.when(CATALOG, m, NOW, "fr") for m in (today, tomorrow, monday)] == [
        "à 14 h 30",
        "demain à 7 h 30",
        "lundi 30 novembre à 12 h 30",
    ]
    assert [speech.when(CATALOG, m, NOW, "en") for m in (today, tomorrow, monday)] == [
        "2:30 PM today",
        "tomorrow at 7:30 AM",
        "Monday, November 30 at 12:30 PM",
    ]


def test_the_first_of_the_month_is_le_1er() -> None:
    first = datetime(2026, 12, 1, 9, tzinfo=MONTREAL)
    assert speech.when(CATALOG, first, NOW, "fr") == "mardi 1er décembre à 9 h"


def test_the_policys_hours_are_read_from_the_schedules() -> None:
    hours = config.load()
    assert (
        speech.hours(CATALOG, hours.schedule("cata"), "fr") == "du lundi au vendredi, de 7 h à 20 h"
    )
    assert (
        speech.hours(CATALOG, hours.schedule("regular"), "en")
        == "Monday to Friday, from 8:30 AM to 5 PM"
    )


def test_uneven_hours_are_read_day_by_day() -> None:
    schedule = Schedule.from_table(
        "uneven",
        {
            "monday": ["08:00-12:00", "13:00-17:00"],
            "tuesday": ["08:00-12:00", "13:00-17:00"],
            "saturday": ["09:00-12:00"],
        },
    )
    assert speech.hours(CATALOG, schedule, "fr") == (
        "du lundi au mardi, de 8 h à 12 h et de 13 h à 17 h; le samedi, de 9 h à 12 h"
    )


def test_every_prompt_exists_in_both_languages_with_the_same_placeholders() -> None:
    assert all(set(texts) == {"fr", "en"} for texts in CATALOG.texts.values())


def test_a_catalog_whose_languages_disagree_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[hello]\nfr = "Bonjour {name}"\nen = "Hello {nom}"\n')
    with pytest.raises(i18n.CatalogError, match="different placeholders"):
        i18n.load(bad, {})


def test_every_menu_option_has_its_prompt_and_a_distinct_key() -> None:
    the_menu = menu.load(CATALOG)
    assert [o.digit for o in the_menu.options] == ["9", "6", "7", "0", "*"]
    assert the_menu.choose("", "Réception!") == the_menu.option_for("reception")
