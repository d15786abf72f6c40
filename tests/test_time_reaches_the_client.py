"""Support by phone or on site is time spent with the client: a ticket whose client was not
reached yet counts them reached when that work began, so the SLA and the supervisors' warnings
do not say that nobody reached a client a technician spent an hour with."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from flask import Flask
from sqlalchemy.orm import Session

from helpdesk import callbacks, time_entries
from helpdesk.context import Context
from models import Ticket, TicketEventKind
from tests.banking import LOW, form, luc, open_ticket
from tests.phone import at, helpdesk

TEN = at(2026, 12, 1, 10)


@pytest.fixture
def context(phone_app: Flask) -> Context:
    return helpdesk(phone_app)


@pytest.fixture
def ticket(db: Session, context: Context) -> Ticket:
    """A regular ticket opened at 10:00, its client not reached yet."""
    with time_machine.travel(TEN, tick=False):
        return open_ticket(db, context)


def _post_at(db: Session, moment: datetime, entry: time_entries.EntryForm) -> None:
    with time_machine.travel(moment, tick=False):
        time_entries.post(db, entry, entry.technician_id, low_minutes=LOW)
        db.commit()
    db.expire_all()


def _from_to(
    db: Session, ticket: Ticket, start: datetime, end: datetime, kind: str = "phone"
) -> time_entries.EntryForm:
    """Luc's work on the ticket from ``start`` to ``end``."""
    return form(ticket, luc(db), kind=kind, minutes=None, started_at=start, ended_at=end)


def test_phone_work_is_the_first_response_when_it_began(db: Session, ticket: Ticket) -> None:
    work = _from_to(db, ticket, at(2026, 12, 1, 10, 20), at(2026, 12, 1, 10, 40))
    _post_at(db, at(2026, 12, 1, 11), work)
    assert ticket.first_response_at == at(2026, 12, 1, 10, 20)
    assert TicketEventKind.FIRST_RESPONSE in [e.kind for e in ticket.events]


def test_minutes_alone_reach_the_client_no_later_than_the_work_could_have_begun(
    db: Session, ticket: Ticket
) -> None:
    _post_at(db, at(2026, 12, 1, 11), form(ticket, luc(db), kind="onsite", minutes=30))
    assert ticket.first_response_at == at(2026, 12, 1, 10, 30)


def test_work_begun_before_the_ticket_reaches_the_client_when_the_ticket_was_opened(
    db: Session, ticket: Ticket
) -> None:
    work = _from_to(db, ticket, at(2026, 12, 1, 9, 30), at(2026, 12, 1, 10, 15))
    _post_at(db, at(2026, 12, 1, 11), work)
    assert ticket.first_response_at == TEN


def test_a_callback_noted_before_keeps_its_moment(db: Session, ticket: Ticket) -> None:
    callbacks.called_back_from_own_phone(ticket, luc(db), at(2026, 12, 1, 10, 5))
    db.commit()
    _post_at(db, at(2026, 12, 1, 11), form(ticket, luc(db), minutes=20))
    assert ticket.first_response_at == at(2026, 12, 1, 10, 5)


def test_work_planned_for_tomorrow_reaches_nobody_yet(db: Session, ticket: Ticket) -> None:
    work = _from_to(db, ticket, at(2026, 12, 2, 9), at(2026, 12, 2, 11), kind="onsite")
    _post_at(db, at(2026, 12, 1, 11), work)
    assert ticket.first_response_at is None
