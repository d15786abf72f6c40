"""A client's monthly statement: entries, purchases, corrections, and totals that match the
ledger."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask
from sqlalchemy.orm import Session

from billing import InvalidEntry
from helpdesk import banks, statements, time_entries
from helpdesk.context import Context
from tests.banking import BOULANGERIE, DENTAL, LOW, client, form, helene, luc, open_ticket
from tests.phone import at, helpdesk

MONTREAL = ZoneInfo("America/Toronto")


@pytest.fixture
def context(phone_app: Flask) -> Context:
    return helpdesk(phone_app)


def _december(db: Session, context: Context) -> None:
    """November: 10 h bought, 30 min used. December: 3 entries, one corrected. January: one."""
    owner = client(db, BOULANGERIE).id
    with time_machine.travel(at(2026, 11, 20, 10), tick=False):
        purchase = banks.Purchase(owner, 10, "F-2026-0101", date(2026, 11, 20))
        banks.record_purchase(db, purchase, helene(db), low_minutes=LOW, zone=MONTREAL)
        ticket = open_ticket(db, context)
        time_entries.post(db, form(ticket, luc(db), minutes=30), luc(db), low_minutes=LOW)
        db.commit()
    with time_machine.travel(at(2026, 12, 2, 9), tick=False):
        first = time_entries.post(db, form(ticket, luc(db), minutes=20), luc(db), low_minutes=LOW)
        time_entries.post(
            db, form(ticket, luc(db), minutes=40, category="training"), luc(db), low_minutes=LOW
        )
        db.commit()
    with time_machine.travel(at(2026, 12, 31, 23, 30), tick=False):
        time_entries.correct(
            db, first.id, form(ticket, luc(db), minutes=50), helene(db), "50 min", low_minutes=LOW
        )
        db.commit()
    with time_machine.travel(at(2027, 1, 1, 0, 30), tick=False):
        time_entries.post(db, form(ticket, luc(db), minutes=15), luc(db), low_minutes=LOW)
        db.commit()


def test_a_statement_lists_the_months_entries_and_reversals_with_the_running_balance(
    db: Session, context: Context
) -> None:
    _december(db, context)
    sheet = statements.statement(db, client(db, BOULANGERIE).id, 2026, 12, MONTREAL)
    assert sheet.opening == 570
    assert [
        (r.what, r.raw_minutes, r.charged_minutes, r.bank_minutes, r.overage_minutes, r.balance)
        for r in sheet.rows
    ] == [
        ("entry", 20, 30, -30, 0, 540),
        ("entry", 40, 60, 0, 60, 540),
        ("reversal", 0, 0, 30, 0, 570),
        ("correction", -20, -30, 0, 0, 570),
        ("entry", 50, 60, -60, 0, 510),
    ]


def test_a_statements_closing_balance_and_totals_match_the_ledger(
    db: Session, context: Context
) -> None:
    _december(db, context)
    owner = client(db, BOULANGERIE).id
    sheet = statements.statement(db, owner, 2026, 12, MONTREAL)
    until = statements.month_bounds(2027, 1, MONTREAL)[0]
    assert sheet.closing == banks.balance(db, owner, until=until) == 510
    assert sheet.opening + sheet.total("bank_minutes") == sheet.closing
    # The corrected entry counts once: 60 (the correction of 30) + 60 (training, outside the bank).
    assert (sheet.total("charged_minutes"), sheet.total("overage_minutes")) == (120, 60)


def test_a_statement_in_csv_has_one_line_per_row_between_opening_and_closing(
    db: Session, context: Context
) -> None:
    _december(db, context)
    sheet = statements.statement(db, client(db, BOULANGERIE).id, 2026, 12, MONTREAL)
    lines = statements.csv_text(sheet, MONTREAL).splitlines()
    assert lines[0] == (
        "at,what,ticket,technician,work,raw_minutes,charged_minutes,bank_minutes,"
        "overage_minutes,travel_minutes,expenses_cents,invoice,note,balance"
    )
    assert lines[1] == "2026-12-01,opening,,,,,,,,,,,,570"
    assert lines[2].startswith(
        "2026-12-02 09:00,entry,1001,Luc Gagnon,regular/phone/support,20,30,-30,0,0,0,,,540"
    )
    assert lines[-1] == "2026-12-31,closing,,,,,,,,,,,,510"
    assert len(lines) == 8


@pytest.mark.parametrize(
    ("year", "month", "last"),
    [
        (2026, 12, "2026-12-31"),
        (2027, 2, "2027-02-28"),
        (2028, 2, "2028-02-29"),
        (2027, 4, "2027-04-30"),
    ],
)
def test_a_statements_closing_balance_is_dated_the_months_last_day(
    db: Session, context: Context, year: int, month: int, last: str
) -> None:
    sheet = statements.statement(db, client(db, BOULANGERIE).id, year, month, MONTREAL)
    first, *_, closing = statements.csv_rows(sheet, MONTREAL)
    assert (first[:2], closing[:2]) == ([f"{year}-{month:02d}-01", "opening"], [last, "closing"])


def test_a_purchase_recorded_later_is_listed_when_recorded_with_its_invoice_date(
    db: Session, context: Context
) -> None:
    owner = client(db, BOULANGERIE).id
    with time_machine.travel(at(2026, 12, 3, 14), tick=False):  # the invoice came in late
        purchase = banks.Purchase(owner, 5, "F-2026-0130", date(2026, 11, 28))
        banks.record_purchase(db, purchase, helene(db), low_minutes=LOW, zone=MONTREAL)
        db.commit()
    assert statements.statement(db, owner, 2026, 11, MONTREAL).rows == []
    december = statements.statement(db, owner, 2026, 12, MONTREAL)
    assert december.opening == 0
    assert [(r.what, r.at, r.invoiced_on, r.bank_minutes) for r in december.rows] == [
        ("purchase", at(2026, 12, 3, 14), date(2026, 11, 28), 300)
    ]


def _empty_bank_then_bought(db: Session, context: Context) -> int:
    """The dental clinic's empty bank: two entries at 20:50 and 20:51, charged outside it, then
    10 h bought at 20:57 with an invoice dated that day."""
    owner = client(db, DENTAL).id
    with time_machine.travel(at(2026, 12, 7, 20, 45), tick=False):
        ticket = open_ticket(db, context, DENTAL)
    for minute in (50, 51):
        with time_machine.travel(at(2026, 12, 7, 20, minute), tick=False):
            time_entries.post(db, form(ticket, luc(db), minutes=15), luc(db), low_minutes=LOW)
            db.commit()
    with time_machine.travel(at(2026, 12, 7, 20, 57), tick=False):
        purchase = banks.Purchase(owner, 10, "F-2026-0160", date(2026, 12, 7))
        banks.record_purchase(db, purchase, helene(db), low_minutes=LOW, zone=MONTREAL)
        db.commit()
    return owner


def test_a_purchase_is_listed_after_the_entries_it_came_too_late_to_pay(
    db: Session, context: Context
) -> None:
    owner = _empty_bank_then_bought(db, context)
    sheet = statements.statement(db, owner, 2026, 12, MONTREAL)
    assert [(r.what, r.at, r.bank_minutes, r.overage_minutes, r.balance) for r in sheet.rows] == [
        ("entry", at(2026, 12, 7, 20, 50), 0, 15, 0),
        ("entry", at(2026, 12, 7, 20, 51), 0, 15, 0),
        ("purchase", at(2026, 12, 7, 20, 57), 600, 0, 600),
    ]


def test_a_purchases_line_in_csv_is_where_it_was_recorded_with_its_invoice_date_as_note(
    db: Session, context: Context
) -> None:
    owner = _empty_bank_then_bought(db, context)
    sheet = statements.statement(db, owner, 2026, 12, MONTREAL)
    lines = statements.csv_text(sheet, MONTREAL).splitlines()
    assert lines[-2] == "2026-12-07 20:57,purchase,,,,0,0,600,0,0,0,F-2026-0160,2026-12-07,600"


def test_the_totals_show_the_hours_bought_and_the_hours_used_apart(
    db: Session, context: Context
) -> None:
    owner = client(db, BOULANGERIE).id
    with time_machine.travel(at(2026, 12, 7, 9), tick=False):
        purchase = banks.Purchase(owner, 10, "F-2026-0161", date(2026, 12, 7))
        banks.record_purchase(db, purchase, helene(db), low_minutes=LOW, zone=MONTREAL)
        ticket = open_ticket(db, context)
        time_entries.post(db, form(ticket, luc(db), minutes=600), luc(db), low_minutes=LOW)
        db.commit()
    sheet = statements.statement(db, owner, 2026, 12, MONTREAL)
    assert (sheet.bought, sheet.used, sheet.total("bank_minutes")) == (600, -600, 0)


def test_hours_a_correction_gives_back_count_against_the_hours_used(
    db: Session, context: Context
) -> None:
    _december(db, context)
    sheet = statements.statement(db, client(db, BOULANGERIE).id, 2026, 12, MONTREAL)
    # 30 min taken, given back by the correction, then 60 min taken: 60 min used in all.
    assert (sheet.bought, sheet.used) == (0, -60)
    assert sheet.opening + sheet.bought + sheet.used == sheet.closing


def test_an_invoice_dated_in_the_future_is_refused(db: Session, context: Context) -> None:
    owner = client(db, BOULANGERIE).id
    tomorrow = banks.Purchase(owner, 5, "F-2026-0131", date(2026, 12, 4))
    with (
        time_machine.travel(at(2026, 12, 3, 23, 30), tick=False),  # 04:30 on the 4th in UTC
        pytest.raises(InvalidEntry, match="bought_on: 2026-12-04 is in the future"),
    ):
        banks.record_purchase(db, tomorrow, helene(db), low_minutes=LOW, zone=MONTREAL)
