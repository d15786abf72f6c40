"""Schedules are data, checked when read."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing import config
from routing.schedules import Schedule, ScheduleError, Window


@pytest.mark.parametrize(
    ("name", "hours"),
    [("office", "08:00-16:30"), ("regular", "08:30-17:00"), ("cata", "07:00-20:00")],
)
def test_the_default_schedules_are_the_policys(name: str, hours: str) -> None:
    schedule = config.load().schedule(name)
    assert [str(w) for day in range(5) for w in schedule.windows(day)] == [hours] * 5
    assert schedule.windows(5) == schedule.windows(6) == ()


def test_the_lines_promise_what_the_policy_promises() -> None:
    hours = config.load()
    regular, urgent = hours.line("regular"), hours.line("urgent")
    assert (regular.schedule, regular.callback_within.seconds, regular.notify) == (
        "regular",
        4 * 3600,
        2,
    )
    assert (urgent.schedule, urgent.callback_within.seconds, urgent.notify) == ("cata", 3600, 3)


def test_a_day_may_have_several_windows() -> None:
    split = Schedule.from_table("split", {"monday": ["13:00-17:00", "08:00-12:00"]})
    assert [str(w) for w in split.windows(0)] == ["08:00-12:00", "13:00-17:00"]


def test_a_window_may_end_at_midnight() -> None:
    assert Window.parse("18:00-24:00") == Window(18 * 60, 24 * 60)


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(
        ScheduleError, match=r"monday: window 17:00-08:30: it ends before it starts"
    ):
        Schedule.from_table("bad", {"monday": ["17:00-08:30"]})


def test_overlapping_windows_are_refused() -> None:
    with pytest.raises(ScheduleError, match="windows 08:00-12:00 and 11:00-17:00 overlap"):
        Schedule.from_table("bad", {"tuesday": ["08:00-12:00", "11:00-17:00"]})


@pytest.mark.parametrize("text", ["8h30-17h", "08:30", "25:00-26:00", "08:75-09:00"])
def test_a_malformed_window_is_refused(text: str) -> None:
    with pytest.raises(ScheduleError, match="window"):
        Window.parse(text)


def test_an_unknown_day_is_refused() -> None:
    with pytest.raises(ScheduleError, match="unknown day"):
        Schedule.from_table("bad", {"lundi": ["08:00-12:00"]})


def test_an_unknown_schedule_name_is_refused_with_the_known_ones() -> None:
    with pytest.raises(
        ScheduleError, match=r"unknown schedule 'night' \(known: cata, office, regular\)"
    ):
        config.load().calendar("night")


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ScheduleError, match="unknown time zone 'Mars/Olympus'"):
        config.load(timezone="Mars/Olympus")


def test_hours_change_without_code_through_another_file(tmp_path: Path) -> None:
    text = config.DEFAULT_FILE.read_text().replace(
        'friday = ["07:00-20:00"]', 'friday = ["07:00-20:00"]\nsaturday = ["09:00-12:00"]'
    )
    custom = tmp_path / "hours.toml"
    custom.write_text(text)
    assert [str(w) for w in config.load(custom).schedule("cata").windows(5)] == ["09:00-12:00"]


def test_a_line_without_a_positive_budget_is_refused(tmp_path: Path) -> None:
    custom = tmp_path / "hours.toml"
    custom.write_text(config.DEFAULT_FILE.read_text().replace("= 240", "= 0"))
    with pytest.raises(ScheduleError, match=r"lines\.regular: callback_within_minutes must be"):
        config.load(custom)
