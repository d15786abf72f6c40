"""Supervisors' closures page: closure days, partial days and the manual switch; the phone line
follows each at once."""

from __future__ import annotations

from datetime import date, time

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Closure, OverrideState, ScheduleOverride
from tests.console_world import (
    CONFIRMED,
    HELENE,
    Staff,
    give_passwords,
    signed_in,
    signed_in_at,
)
from tests.phone import CATA, EMILY, at, place_call
from tools.simulator import Transcript

PAGE = "/console/closures/"
CLOSED = "Nous sommes exceptionnellement fermés."
MENU_LENGTH = 6  # the welcome and the five choices, before what option 6 says
ROBERT = "+15145550122"  # authorized, English, Westmount Dental Clinic (1003)
ON_CALL = ["+15145550171 (accept)", "+15145550172 (ring)", "+15145550173 (ring)"]
REGULAR_HOURS = (
    "Le soutien régulier est offert du lundi au vendredi, de 8 h 30 à 17 h, sauf les jours fériés."
)


def _rung(transcript: Transcript) -> list[str]:
    """The technicians the CATA rang: the line was open."""
    return [e.text for e in transcript.entries if e.kind == "ring"]


@pytest.fixture
def desk(phone_app: Flask, db: Session) -> Flask:
    """The phone line and its console, the demo staff with their passwords."""
    give_passwords(db)
    return phone_app


@pytest.fixture
def helene(desk: Flask) -> Staff:
    return signed_in(desk, HELENE)


def test_a_closure_added_in_the_console_is_announced_on_the_next_call(
    desk: Flask, db: Session
) -> None:
    form = {"day": "2026-12-02", "reason": "Inventaire annuel"}
    with signed_in_at(desk, HELENE, at(2026, 12, 1, 16)) as helene:
        assert helene.post(PAGE, form, page=PAGE).status_code == 302
    heard = place_call(desk, at(2026, 12, 2, 10), press="6").heard()
    assert heard[MENU_LENGTH : MENU_LENGTH + 2] == [CLOSED, REGULAR_HOURS]
    [closure] = db.scalars(select(Closure)).all()
    assert (closure.day, closure.from_time, closure.until_time, closure.reason) == (
        date(2026, 12, 2),
        None,
        None,
        "Inventaire annuel",
    )


def test_a_partial_closure_closes_the_line_from_its_start_time(desk: Flask) -> None:
    form = {"day": "2026-12-24", "from_time": "12:00", "reason": "Veille de Noël"}
    with signed_in_at(desk, HELENE, at(2026, 12, 23, 16)) as helene:
        helene.post(PAGE, form, page=PAGE)
    morning = place_call(desk, at(2026, 12, 24, 11), to=CATA, techs=("accept",))
    afternoon = place_call(desk, at(2026, 12, 24, 13), caller=EMILY, to=CATA)
    assert _rung(morning) == ON_CALL
    assert afternoon.heard()[1] == "We are exceptionally closed."


def test_the_closures_page_lists_the_coming_closures(desk: Flask, db: Session) -> None:
    db.add(Closure(day=date(2026, 12, 24), from_time=time(12), reason="Veille de Noël"))
    db.add(Closure(day=date(2026, 11, 2), reason="Passé"))
    db.commit()
    with signed_in_at(desk, HELENE, at(2026, 12, 1, 9)) as helene:
        page = helene.text(PAGE)
    assert "jeudi 24 décembre 2026" in page and "Veille de Noël" in page
    assert "Passé" not in page


def test_a_closure_that_ends_before_it_starts_is_refused(helene: Staff, db: Session) -> None:
    form = {"day": "2026-12-24", "from_time": "14:00", "until_time": "12:00"}
    helene.post(PAGE, form, page=PAGE)
    assert "Refusé : une fermeture doit finir après son début" in helene.text(PAGE)
    assert db.scalars(select(Closure)).all() == []


def test_removing_a_closure_opens_the_line_again(desk: Flask, db: Session) -> None:
    db.add(Closure(day=date(2026, 12, 2), reason="Inventaire"))
    db.commit()
    closure_id = db.scalars(select(Closure.id)).one()
    with signed_in_at(desk, HELENE, at(2026, 12, 1, 16)) as helene:
        helene.post(f"{PAGE}{closure_id}/remove", CONFIRMED, page=PAGE)
    assert _rung(place_call(desk, at(2026, 12, 2, 10), to=CATA, techs=("accept",))) == ON_CALL


def test_closed_now_until_closes_every_line_at_once(desk: Flask, db: Session) -> None:
    form = {"schedule": "*", "state": "closed", "ends_at": "2026-12-01T12:00", "reason": "Panne"}
    with signed_in_at(desk, HELENE, at(2026, 12, 1, 10)) as helene:
        helene.post(f"{PAGE}switches", form, page=PAGE)
    regular = place_call(desk, at(2026, 12, 1, 10, 5), press="6").heard()
    assert regular[MENU_LENGTH : MENU_LENGTH + 2] == [CLOSED, REGULAR_HOURS]
    urgent = place_call(desk, at(2026, 12, 1, 10, 10), caller=EMILY, to=CATA)
    assert urgent.heard()[1] == "We are exceptionally closed."
    later = place_call(desk, at(2026, 12, 1, 12, 1), caller=ROBERT, to=CATA, techs=("accept",))
    assert _rung(later) == ON_CALL
    [switch] = db.scalars(select(ScheduleOverride)).all()
    assert (switch.schedule, switch.state, switch.ends_at) == (
        "*",
        OverrideState.CLOSED,
        at(2026, 12, 1, 12),
    )


def test_ending_a_switch_early_opens_the_line_again(desk: Flask, db: Session) -> None:
    form = {"schedule": "cata", "state": "closed", "ends_at": "2026-12-01T17:00"}
    with signed_in_at(desk, HELENE, at(2026, 12, 1, 10)) as helene:
        helene.post(f"{PAGE}switches", form, page=PAGE)
    switch_id = db.scalars(select(ScheduleOverride.id)).one()
    with signed_in_at(desk, HELENE, at(2026, 12, 1, 10, 30)) as helene:
        helene.post(f"{PAGE}switches/{switch_id}/end", CONFIRMED, page=PAGE)
    db.expire_all()
    assert db.scalars(select(ScheduleOverride.ends_at)).one() == at(2026, 12, 1, 10, 30)
    transcript = place_call(desk, at(2026, 12, 1, 10, 35), to=CATA, techs=("accept",))
    assert _rung(transcript) == ON_CALL


def test_open_now_until_opens_a_closed_schedule(desk: Flask) -> None:
    form = {
        "schedule": "cata",
        "state": "open",
        "ends_at": "2026-12-01T22:00",
        "reason": "Migration",
    }
    with signed_in_at(desk, HELENE, at(2026, 12, 1, 20, 30)) as helene:
        helene.post(f"{PAGE}switches", form, page=PAGE)
    transcript = place_call(desk, at(2026, 12, 1, 21), to=CATA, techs=("accept",))
    assert _rung(transcript) == ON_CALL


def test_a_switch_that_ends_in_the_past_is_refused(desk: Flask, db: Session) -> None:
    form = {"schedule": "*", "state": "closed", "ends_at": "2026-12-01T09:00"}
    with signed_in_at(desk, HELENE, at(2026, 12, 1, 10)) as helene:
        helene.post(f"{PAGE}switches", form, page=PAGE)
        page = helene.text(PAGE)
    assert "Refusé : la bascule doit finir plus tard que maintenant" in page
    assert db.scalars(select(ScheduleOverride)).all() == []


def test_a_switch_ending_at_a_time_the_spring_change_skipped_is_refused(
    desk: Flask, db: Session
) -> None:
    form = {"schedule": "*", "state": "closed", "ends_at": "2027-03-14T02:30"}
    with signed_in_at(desk, HELENE, at(2027, 3, 13, 22)) as helene:
        helene.post(f"{PAGE}switches", form, page=PAGE)
        page = helene.text(PAGE)
    assert "Refusé : fin : 2027-03-14T02:30 n&#39;a pas existé" in page
    assert db.scalars(select(ScheduleOverride)).all() == []


def test_a_closure_on_a_day_already_past_is_refused(desk: Flask, db: Session) -> None:
    form = {"day": "2026-11-30", "from_time": "", "until_time": "", "reason": "Inventaire"}
    with signed_in_at(desk, HELENE, at(2026, 12, 1, 10)) as helene:
        helene.post(PAGE, form, page=PAGE)
        page = helene.text(PAGE)
    assert "Refusé : le 30 novembre 2026 est passé" in page
    assert db.scalars(select(Closure)).all() == []


def test_the_same_closure_sent_twice_is_listed_once(desk: Flask, db: Session) -> None:
    form = {"day": "2026-12-24", "from_time": "12:00", "until_time": "", "reason": "Veille"}
    with signed_in_at(desk, HELENE, at(2026, 12, 1, 10)) as helene:
        helene.post(PAGE, form, page=PAGE)
        helene.post(PAGE, form, page=PAGE)
        page = helene.text(PAGE)
    assert "Refusé : cette fermeture du 24 décembre 2026 est déjà inscrite" in page
    assert len(db.scalars(select(Closure)).all()) == 1


def test_a_closure_without_its_day_is_refused_by_name(helene: Staff, db: Session) -> None:
    helene.post(PAGE, {"day": "", "from_time": "", "until_time": ""}, page=PAGE)
    assert "Refusé : une date est nécessaire" in helene.text(PAGE)
    assert db.scalars(select(Closure)).all() == []


@pytest.mark.parametrize("ends_at", ["2027-03-15T09:00", "21991231", "9999-12-31T23:59Z"])
def test_a_switch_past_a_season_or_in_a_far_year_is_refused(
    desk: Flask, db: Session, ends_at: str
) -> None:
    # A switch to 2199 would make every deadline walk the calendar for two centuries.
    form = {"schedule": "*", "state": "closed", "ends_at": ends_at}
    with signed_in_at(desk, HELENE, at(2026, 12, 1, 10)) as helene:
        helene.post(f"{PAGE}switches", form, page=PAGE)
        page = helene.text(PAGE)
    assert "Refusé : " in page
    assert db.scalars(select(ScheduleOverride)).all() == []
