"""Whatever entries are posted, the balance is purchases minus debits and never below zero."""

from __future__ import annotations

import itertools

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpdesk import banks, time_entries
from helpdesk.context import Context
from models import BankReason, BankTransaction, Channel, Client, Line, Ticket, TimeEntry
from tests.banking import LOW, MONTREAL, form, helene, luc
from tests.phone import helpdesk

ACCOUNTS = itertools.count(9000)  # a fresh client per example

entries = st.lists(
    st.fixed_dictionaries(
        {
            "urgency": st.sampled_from(["regular", "urgent"]),
            "kind": st.sampled_from(["phone", "onsite"]),
            "category": st.sampled_from(["support", "training", "ddm"]),
            "minutes": st.integers(min_value=1, max_value=24 * 60),
        }
    ),
    max_size=8,
)


@pytest.fixture
def context(phone_app: Flask) -> Context:
    return helpdesk(phone_app)


def _client_and_ticket(db: Session) -> tuple[Client, Ticket]:
    account = str(next(ACCOUNTS))
    owner = Client(account=account, name=f"Client {account}", hour_bank=True, distance_km=10.0)
    db.add(owner)
    db.flush()
    ticket = Ticket(
        number=int(account), client_id=owner.id, priority=Line.REGULAR, channel=Channel.EMAIL
    )
    db.add(ticket)
    db.commit()
    return owner, ticket


def _sum(db: Session, client_id: int, reason: BankReason) -> int:
    query = select(func.coalesce(func.sum(BankTransaction.minutes), 0)).where(
        BankTransaction.client_id == client_id, BankTransaction.reason == reason
    )
    return int(db.scalar(query) or 0)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(hours=st.integers(min_value=1, max_value=12), posted=entries)
def test_the_balance_is_purchases_minus_debits_and_never_below_zero(
    db: Session, context: Context, hours: int, posted: list[dict[str, object]]
) -> None:
    owner, ticket = _client_and_ticket(db)
    # The invoice's day is Montreal's (the ticket was opened now): in UTC it is already tomorrow
    # every evening, a day the bank refuses as in the future.
    opened_on = ticket.created_at.astimezone(MONTREAL).date()
    purchase = banks.Purchase(owner.id, hours, "F-PROP", opened_on)
    banks.record_purchase(db, purchase, helene(db), low_minutes=LOW, zone=MONTREAL)
    for fields in posted:
        reason = "" if fields["urgency"] == "regular" else "urgent"
        entry = form(ticket, luc(db), urgency_reason=reason, **fields)
        time_entries.post(db, entry, luc(db), low_minutes=LOW)
        assert banks.balance(db, owner.id) >= 0
    db.commit()
    paid = db.scalar(
        select(func.coalesce(func.sum(TimeEntry.bank_minutes), 0)).where(
            TimeEntry.client_id == owner.id
        )
    )
    purchases, debits = (
        _sum(db, owner.id, BankReason.PURCHASE),
        _sum(db, owner.id, BankReason.USAGE),
    )
    assert banks.balance(db, owner.id) == purchases + debits == hours * 60 - int(paid or 0)
