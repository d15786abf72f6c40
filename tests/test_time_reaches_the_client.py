"""Work that reached the client is the first response: on-site work (they were there), or work
by phone the technician says reached them. Desk work logged "by phone" reaches nobody, so the
SLA does not count a promise kept when nobody called the client back; work that did reach them
is counted, so the supervisors' warnings do not say nobody reached a client a technician spent
an hour with."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
import time_machine
from flask import Flask
from sqlalchemy.orm import Session

from helpdesk import callbacks, time_entries
from helpdesk.callbacks import Attempt
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


def test_phone_work_that_reached_the_client_is_the_first_response_when_it_began(
    db: Session, ticket: Ticket
) -> None:
    work = _from_to(db, ticket, at(2026, 12, 1, 10, 20), at(2026, 12, 1, 10, 40))
    _post_at(db, at(2026, 12, 1, 11), replace(work, reached_client=True))
    assert ticket.first_response_at == at(2026, 12, 1, 10, 20)
    assert TicketEventKind.FIRST_RESPONSE in [e.kind for e in ticket.events]


def test_phone_work_the_technician_does_not_say_reached_the_client_reaches_nobody(
    db: Session, ticket: Ticket
) -> None:
    # Desk research, a change request or training is logged "by phone" too.
    work = _from_to(db, ticket, at(2026, 12, 1, 10, 20), at(2026, 12, 1, 10, 40))
    _post_at(db, at(2026, 12, 1, 11), work)
    assert ticket.first_response_at is None
    assert TicketEventKind.FIRST_RESPONSE not in [e.kind for e in ticket.events]


def test_time_logged_after_a_callback_that_reached_nobody_keeps_the_client_unreached(
    db: Session, ticket: Ticket
) -> None:
    with time_machine.travel(at(2026, 12, 1, 10, 42), tick=False):
        callbacks.attempt_from_own_phone(ticket, luc(db), Attempt.NO_ANSWER)
        db.commit()
    _post_at(db, at(2026, 12, 1, 10, 43), form(ticket, luc(db), minutes=20))
    assert ticket.first_response_at is None


def test_minutes_alone_reach_the_client_when_the_entry_is_posted(
    db: Session, ticket: Ticket
) -> None:
    # Not "now less the minutes" (10:30), which may come before an attempt that reached nobody.
    _post_at(db, at(2026, 12, 1, 11), form(ticket, luc(db), minutes=30, reached_client=True))
    assert ticket.first_response_at == at(2026, 12, 1, 11)


def test_on_site_work_reaches_the_client_without_the_technician_saying_so(
    db: Session, ticket: Ticket
) -> None:
    work = _from_to(db, ticket, at(2026, 12, 1, 10, 20), at(2026, 12, 1, 10, 50), kind="onsite")
    _post_at(db, at(2026, 12, 1, 11), work)
    assert ticket.first_response_at == at(2026, 12, 1, 10, 20)


def test_work_begun_before_the_ticket_reaches_the_client_when_the_ticket_was_opened(
    db: Session, ticket: Ticket
) -> None:
    work = _from_to(db, ticket, at(2026, 12, 1, 9, 30), at(2026, 12, 1, 10, 15))
    _post_at(db, at(2026, 12, 1, 11), replace(work, reached_client=True))
    assert ticket.first_response_at == TEN


def test_a_callback_noted_before_keeps_its_moment(db: Session, ticket: Ticket) -> None:
    callbacks.called_back_from_own_phone(ticket, luc(db), at(2026, 12, 1, 10, 5))
    db.commit()
    _post_at(db, at(2026, 12, 1, 11), form(ticket, luc(db), minutes=20, reached_client=True))
    assert ticket.first_response_at == at(2026, 12, 1, 10, 5)


def test_work_on_a_message_to_verify_reaches_nobody(db: Session, ticket: Ticket) -> None:
    ticket.to_verify = True
    db.commit()
    _post_at(db, at(2026, 12, 1, 11), form(ticket, luc(db), kind="onsite", minutes=30))
    assert ticket.first_response_at is None


def test_work_a_clock_ahead_says_began_after_now_reaches_the_client_no_later_than_now(
    db: Session, ticket: Ticket
) -> None:
    # Posted at 11:00, 11:02 to 11:04 is within the slack allowed a technician's clock.
    work = _from_to(db, ticket, at(2026, 12, 1, 11, 2), at(2026, 12, 1, 11, 4), kind="onsite")
    _post_at(db, at(2026, 12, 1, 11), work)
    assert ticket.first_response_at == at(2026, 12, 1, 11)
