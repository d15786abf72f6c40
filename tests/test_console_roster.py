"""Supervisors' roster page: the standing order, dated rotations, and who answers when; the
phone line rings whom the page says."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from helpdesk import business_time
from models import Duty, StaffMember
from tests.console_world import (
    HELENE,
    JULIE,
    KARIM,
    LUC,
    Staff,
    give_passwords,
    signed_in,
    signed_in_at,
    staff_id,
)
from tests.phone import at, helpdesk, place_call

SOPHIE = "sophie@altilogix.example"
ROSTER = "/console/roster/"


@pytest.fixture
def desk(phone_app: Flask, db: Session) -> Flask:
    """The phone line and its console, the demo staff with their passwords."""
    give_passwords(db)
    return phone_app


@pytest.fixture
def helene(desk: Flask) -> Staff:
    return signed_in(desk, HELENE)


def _on_duty(app: Flask, db: Session, line: str, year: int, month: int, day: int) -> list[str]:
    db.expire_all()
    people = business_time.on_duty(db, helpdesk(app).hours, line, at(year, month, day, 10))
    return [p.name for p in people]


def _answers(page: str, line: str) -> str:
    found = re.search(
        rf'<tr data-line="{line}">\s*<td>[^<]*</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>', page
    )
    assert found, page
    return f"{found.group(1)} | {found.group(2)}"


def _ranks(db: Session, *emails: str) -> dict[str, str]:
    return {f"rank-{staff_id(db, email)}": str(rank) for rank, email in enumerate(emails, 1)}


def test_who_answers_at_a_chosen_moment_is_the_phone_lines_own_answer(helene: Staff) -> None:
    page = helene.text(ROSTER + "?at=2026-12-01T10:00")
    assert _answers(page, "urgent") == "ouvert | Luc Gagnon, Sophie Lavoie, Karim Haddad"
    assert _answers(page, "regular") == "ouvert | Luc Gagnon, Sophie Lavoie"
    evening = helene.text(ROSTER + "?at=2026-12-01T21:00")
    assert (
        _answers(evening, "urgent")
        == "fermé : hors des heures | Luc Gagnon, Sophie Lavoie, Karim Haddad"
    )


def test_a_new_standing_order_changes_whom_the_cata_rings(
    helene: Staff, phone_app: Flask, db: Session
) -> None:
    response = helene.post(
        "/console/roster/order/urgent", _ranks(db, KARIM, JULIE, LUC), page=ROSTER
    )
    assert response.status_code == 302
    assert _on_duty(phone_app, db, "urgent", 2026, 12, 1) == [
        "Karim Haddad",
        "Julie Côté",
        "Luc Gagnon",
    ]
    transcript = place_call(phone_app, at(2026, 12, 1, 10), press="7", techs=("accept",))
    rung = [e.text for e in transcript.entries if e.kind == "ring"]
    assert rung == ["+15145550173 (accept)", "+14385550174 (ring)", "+15145550171 (ring)"]


def test_a_person_left_blank_leaves_the_line(helene: Staff, phone_app: Flask, db: Session) -> None:
    helene.post("/console/roster/order/regular", _ranks(db, SOPHIE), page=ROSTER)
    # Sophie alone on the standing order; a supervisor fills the second place.
    assert _on_duty(phone_app, db, "regular", 2026, 12, 1) == ["Sophie Lavoie", "Hélène Bergeron"]


def test_a_staff_member_without_a_mobile_cannot_be_put_on_call(
    helene: Staff, phone_app: Flask, db: Session
) -> None:
    db.execute(update(StaffMember).where(StaffMember.email == JULIE).values(mobile=None))
    db.commit()
    helene.post("/console/roster/order/urgent", _ranks(db, JULIE, LUC), page=ROSTER)
    page = helene.text(ROSTER)
    assert (
        "Refusé : Julie Côté n'a pas de numéro de mobile : la ligne ne pourrait ni l'appeler "
        "ni lui envoyer de message" in html.unescape(page)
    )
    assert _on_duty(phone_app, db, "urgent", 2026, 12, 1) == [
        "Luc Gagnon",
        "Sophie Lavoie",
        "Karim Haddad",
    ]


def test_a_weeks_rotation_goes_before_the_standing_order_for_that_week_only(
    desk: Flask, db: Session
) -> None:
    form = {
        "line": "urgent",
        "staff": str(staff_id(db, JULIE)),
        "starts_at": "2026-11-30T08:00",
        "ends_at": "2026-12-07T08:00",
    }
    with signed_in_at(desk, HELENE, at(2026, 11, 27, 9)) as helene:
        helene.post("/console/roster/rotations", form, page=ROSTER)
        page = helene.text(ROSTER)
    assert "La rotation est ajoutée." in page
    julie_week = ["Julie Côté", "Luc Gagnon", "Sophie Lavoie"]
    assert _on_duty(desk, db, "urgent", 2026, 12, 1) == julie_week
    assert _on_duty(desk, db, "urgent", 2026, 12, 8) == [
        "Luc Gagnon",
        "Sophie Lavoie",
        "Karim Haddad",
    ]
    [rotation] = db.scalars(select(Duty).where(Duty.starts_at.is_not(None))).all()
    assert (rotation.starts_at, rotation.ends_at) == (at(2026, 11, 30, 8), at(2026, 12, 7, 8))


def test_removing_a_rotation_gives_the_week_back_to_the_standing_order(
    desk: Flask, db: Session
) -> None:
    form = {
        "line": "regular",
        "staff": str(staff_id(db, KARIM)),
        "starts_at": "2026-11-30T08:00",
        "ends_at": "2026-12-07T08:00",
    }
    with signed_in_at(desk, HELENE, at(2026, 11, 27, 9)) as helene:
        helene.post("/console/roster/rotations", form, page=ROSTER)
        rotation_id = db.scalars(select(Duty.id).where(Duty.starts_at.is_not(None))).one()
        helene.post(f"/console/roster/rotations/{rotation_id}/remove", page=ROSTER)
    assert _on_duty(desk, db, "regular", 2026, 12, 1) == ["Luc Gagnon", "Sophie Lavoie"]


def test_a_rotation_that_ends_before_it_starts_is_refused(helene: Staff, db: Session) -> None:
    form = {
        "line": "urgent",
        "staff": str(staff_id(db, JULIE)),
        "starts_at": "2026-12-07T08:00",
        "ends_at": "2026-11-30T08:00",
    }
    helene.post("/console/roster/rotations", form, page=ROSTER)
    assert "Refusé : une rotation doit finir après son début" in helene.text(ROSTER)
    assert db.scalars(select(Duty).where(Duty.starts_at.is_not(None))).all() == []


def test_a_rotation_starting_at_a_time_the_spring_change_skipped_is_refused_as_such(
    desk: Flask, db: Session
) -> None:
    form = {
        "line": "urgent",
        "staff": str(staff_id(db, JULIE)),
        "starts_at": "2027-03-14T02:30",
        "ends_at": "2027-03-21T08:00",
    }
    with signed_in_at(desk, HELENE, at(2027, 3, 1, 9)) as helene:
        helene.post("/console/roster/rotations", form, page=ROSTER)
        page = html.unescape(helene.text(ROSTER))
    assert "Refusé : début : 2027-03-14T02:30 n'a pas existé, l'heure ayant avancé" in page
    assert db.scalars(select(Duty).where(Duty.starts_at.is_not(None))).all() == []


def test_who_answers_at_a_time_the_spring_change_skipped_is_refused(helene: Staff) -> None:
    page = html.unescape(helene.text(ROSTER + "?at=2027-03-14T02:30"))
    assert "Refusé : moment : 2027-03-14T02:30 n'a pas existé" in page


def test_a_moment_in_a_far_year_is_refused_and_the_roster_shows_now(helene: Staff) -> None:
    page = helene.text(ROSTER + "?at=9999-12-31T23:59")
    assert "Refusé : 9999-12-31T23:59 n'est pas une date et une heure" in html.unescape(page)
