"""A ticket's rules, in one place: what each state allows, shown on its page and enforced."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import ticket_rules
from helpdesk.ticket_rules import ALLOWED, Act
from models import Ticket, TicketStatus, TimeEntry
from routing import config
from routing.standing import resolution_aim
from tests.console_world import CONFIRMED, LUC, give_passwords, signed_in, staff_id
from tests.phone import at, place_call

# Each act's form on the ticket's page, by where it posts.
FORMS = {
    Act.TAKE: "take",
    Act.CALL_BACK: "call-back",
    Act.CALLED_BACK: "called-back",
    Act.NOTE: "notes",
    Act.CHANGE_PRIORITY: "priority",
    Act.LOG_TIME: "time",
    Act.RESOLVE: "resolve",
    Act.CLOSE: "close",
    Act.REOPEN: "reopen",
}


@pytest.fixture
def desk(phone_app: Flask, db: Session) -> Flask:
    """Ticket 1001: regular, Marie Tremblay, with a recorded message."""
    give_passwords(db)
    place_call(phone_app, at(2026, 12, 1, 10), press="6")
    return phone_app


def _ticket(db: Session) -> Ticket:
    db.expire_all()
    return db.scalars(select(Ticket).where(Ticket.number == 1001)).one()


def test_a_resolved_ticket_can_be_closed_reopened_noted_and_timed_but_not_called_back() -> None:
    assert ALLOWED[TicketStatus.RESOLVED] == {Act.NOTE, Act.LOG_TIME, Act.CLOSE, Act.REOPEN}
    assert ALLOWED[TicketStatus.CLOSED] == {Act.NOTE, Act.REOPEN}
    assert Act.REOPEN not in ALLOWED[TicketStatus.OPEN]


def test_the_tickets_page_shows_the_buttons_its_state_allows(desk: Flask, db: Session) -> None:
    luc = signed_in(desk, LUC)
    assert _forms(luc.text("/console/tickets/1001")) == ALLOWED[TicketStatus.OPEN]
    luc.post("/console/tickets/1001/resolve", CONFIRMED)
    assert _forms(luc.text("/console/tickets/1001")) == ALLOWED[TicketStatus.RESOLVED]
    luc.post("/console/tickets/1001/close", CONFIRMED)
    assert _forms(luc.text("/console/tickets/1001")) == ALLOWED[TicketStatus.CLOSED]


def _forms(page: str) -> set[Act]:
    return {act for act, path in FORMS.items() if f'action="/console/tickets/1001/{path}"' in page}


def test_a_page_left_open_cannot_change_the_priority_of_a_resolved_ticket(
    desk: Flask, db: Session
) -> None:
    luc = signed_in(desk, LUC)
    luc.post("/console/tickets/1001/resolve", CONFIRMED)
    luc.post("/console/tickets/1001/priority", {"priority": "urgent", "reason": "down"})
    page = luc.text("/console/tickets/1001")
    assert "le billet 1001 est résolu : sa priorité ne peut pas changer" in page
    assert _ticket(db).priority.value == "regular"


def test_no_time_is_logged_on_a_closed_ticket(desk: Flask, db: Session) -> None:
    luc = signed_in(desk, LUC)
    luc.post("/console/tickets/1001/close", CONFIRMED)
    response = luc.post(
        "/console/tickets/1001/time",
        {"kind": "phone", "category": "support", "minutes": "40"},
    )
    assert response.status_code == 422
    assert "le billet 1001 est fermé : on ne peut pas y saisir de temps" in response.get_data(
        as_text=True
    )
    assert db.scalars(select(TimeEntry)).all() == []


def test_a_ticket_already_mine_offers_no_take_and_a_reached_client_no_callback_note(
    desk: Flask, db: Session
) -> None:
    ticket = _ticket(db)
    ticket.assignee_id = staff_id(db, LUC)
    ticket.first_response_at = at(2026, 12, 1, 10, 30)
    assert ticket_rules.acts(ticket, staff_id(db, LUC)) == ALLOWED[TicketStatus.OPEN] - {
        Act.TAKE,
        Act.CALLED_BACK,
    }
    db.rollback()


def test_the_resolution_aim_is_never_before_the_callback_deadline() -> None:
    hours = config.load()
    opened = at(2026, 12, 24, 15)  # Christmas Eve afternoon: called back Monday the 28th
    due = at(2026, 12, 28, 10, 30)
    aim = resolution_aim(hours.line("regular"), opened, opened, due)
    assert aim is not None and aim.at == due


def test_the_resolution_aim_is_the_business_hours_files(tmp_path: Path) -> None:
    hours = config.load()
    opened = at(2026, 12, 1, 10)
    aim = resolution_aim(hours.line("regular"), opened, opened)
    assert aim is not None and aim.at == opened + timedelta(hours=72)
    assert resolution_aim(hours.line("urgent"), opened, opened) is None
    changed = tmp_path / "hours.toml"
    text = config.DEFAULT_FILE.read_text(encoding="utf-8")
    changed.write_text(text.replace("resolution_aim_hours = 72", "resolution_aim_hours = 48"))
    aim = resolution_aim(config.load(changed).line("regular"), opened, opened)
    assert aim is not None and aim.at == opened + timedelta(hours=48)
