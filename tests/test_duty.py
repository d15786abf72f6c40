"""Who is rung and notified, in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from routing.calendar import CalendarError
from routing.duty import Assignment, Person, Unstaffed, on_duty

NOW = datetime(2026, 12, 1, 15, tzinfo=UTC)
LUC = Person(1, "Luc Gagnon", "technician")
SOPHIE = Person(2, "Sophie Lavoie", "technician")
KARIM = Person(3, "Karim Haddad", "technician")
JULIE = Person(4, "Julie Côté", "technician")
HELENE = Person(5, "Hélène Bergeron", "supervisor")
PEOPLE = [LUC, SOPHIE, KARIM, JULIE, HELENE]
STANDING = [
    Assignment("urgent", 1, 0),
    Assignment("urgent", 2, 1),
    Assignment("urgent", 3, 2),
    Assignment("regular", 4, 0),
    Assignment("regular", 1, 1),
    Assignment("regular", 2, 2),
]


def names(people: list[Person]) -> list[str]:
    return [p.name for p in people]


def test_urgent_rings_the_first_three_on_urgent_duty() -> None:
    assert names(on_duty("urgent", NOW, STANDING, PEOPLE, 3)) == [
        "Luc Gagnon",
        "Sophie Lavoie",
        "Karim Haddad",
    ]


def test_regular_notifies_the_first_two_on_regular_duty() -> None:
    assert names(on_duty("regular", NOW, STANDING, PEOPLE, 2)) == ["Julie Côté", "Luc Gagnon"]


def test_inactive_people_are_skipped() -> None:
    people = [LUC, Person(2, "Sophie Lavoie", "technician", active=False), KARIM, JULIE, HELENE]
    assert names(on_duty("urgent", NOW, STANDING, people, 3)) == [
        "Luc Gagnon",
        "Karim Haddad",
        "Hélène Bergeron",
    ]


def test_supervisors_fill_in_when_too_few_are_on_duty() -> None:
    only_luc = [Assignment("urgent", 1, 0)]
    assert names(on_duty("urgent", NOW, only_luc, PEOPLE, 3)) == ["Luc Gagnon", "Hélène Bergeron"]


def test_a_rotation_in_force_goes_before_the_standing_order() -> None:
    week = Assignment("urgent", 3, 0, NOW - timedelta(days=1), NOW + timedelta(days=6))
    assert names(on_duty("urgent", NOW, [*STANDING, week], PEOPLE, 3)) == [
        "Karim Haddad",
        "Luc Gagnon",
        "Sophie Lavoie",
    ]


def test_a_rotation_that_ended_no_longer_counts() -> None:
    past = Assignment("urgent", 4, 0, NOW - timedelta(days=8), NOW - timedelta(days=1))
    assert "Julie Côté" not in names(on_duty("urgent", NOW, [*STANDING, past], PEOPLE, 3))


def test_nobody_at_all_is_a_clear_error() -> None:
    with pytest.raises(Unstaffed, match="nobody is on duty for the urgent line"):
        on_duty("urgent", NOW, [], [LUC], 3)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(CalendarError, match="naive"):
        on_duty("urgent", datetime(2026, 12, 1), STANDING, PEOPLE, 3)  # noqa: DTZ001


def test_somebody_off_duty_is_passed_by_and_the_next_one_rung() -> None:
    luc_off = Person(1, "Luc Gagnon", "technician", off_duty=True)
    people = [luc_off, SOPHIE, KARIM, JULIE, HELENE]
    assert names(on_duty("urgent", NOW, STANDING, people, 3)) == [
        "Sophie Lavoie",
        "Karim Haddad",
        "Hélène Bergeron",
    ]


def test_a_supervisor_off_duty_does_not_fill_in() -> None:
    helene_off = Person(5, "Hélène Bergeron", "supervisor", off_duty=True)
    people = [LUC, SOPHIE, KARIM, JULIE, helene_off]
    assert names(on_duty("urgent", NOW, STANDING, people, 4)) == [
        "Luc Gagnon",
        "Sophie Lavoie",
        "Karim Haddad",
    ]
