"""Two technicians post on the last minutes of a bank at the same moment, on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from helpdesk import banks, time_entries
from helpdesk.context import Context
from migrations import alembic_config
from models import TimeEntry
from tests.banking import BOULANGERIE, LOW, buy, client, form, luc, open_ticket, staff
from tests.phone import helpdesk

WAIT_SECONDS = 10


@pytest.fixture
def migrated_url(postgresql_url: str) -> str:
    """Row locks are what is tested: PostgreSQL only (SQLite has one writer at a time)."""
    command.upgrade(alembic_config(postgresql_url), "head")
    return postgresql_url


@pytest.fixture
def context(phone_app: Flask) -> Context:
    return helpdesk(phone_app)


def _waiting_on_a_lock(engine: Engine) -> bool:
    with engine.connect() as connection:
        waiting = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()
    return bool(waiting)


def _until(condition: threading.Event, check: Callable[[], bool]) -> bool:
    """Wait (on an event, never a sleep) until ``check()`` holds or the time is up."""
    for _ in range(WAIT_SECONDS * 20):
        if check():
            return True
        condition.wait(0.05)
    return False


def test_two_postings_on_the_last_minutes_of_a_bank_leave_the_balance_exact(
    db: Session, context: Context, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    buy(db, BOULANGERIE, 1)  # 60 minutes
    ticket = open_ticket(db, context)
    luc_id, sophie_id = luc(db), staff(db, "Sophie Lavoie").id
    posted: list[TimeEntry] = []

    def second_technician() -> None:
        with sessions() as session:
            entry = form(ticket, sophie_id, minutes=45)
            posted.append(time_entries.post(session, entry, sophie_id, low_minutes=LOW))
            session.commit()

    with sessions() as first:
        posted.append(
            time_entries.post(first, form(ticket, luc_id, minutes=45), luc_id, low_minutes=LOW)
        )
        other = threading.Thread(target=second_technician)
        other.start()
        blocked = _until(threading.Event(), lambda: _waiting_on_a_lock(engine))
        first.commit()
    other.join(WAIT_SECONDS)

    assert blocked, "the second posting did not wait for the first one's lock"
    assert [(e.bank_minutes, e.overage_minutes) for e in posted] == [(45, 0), (15, 30)]
    assert banks.balance(db, client(db, BOULANGERIE).id) == 0
