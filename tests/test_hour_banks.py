"""Posting time on tickets and paying it from hour banks, through the helpdesk services."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from billing import InvalidEntry
from helpdesk import banks, tickets, time_entries
from helpdesk.context import Context
from models import BankReason, BankTransaction, Line, OutboxTask, TicketEventKind, TimeEntry
from tests.banking import (
    BOULANGERIE,
    DENTAL,
    LOW,
    MONTREAL,
    QUINCAILLERIE,
    buy,
    client,
    form,
    helene,
    ledger,
    luc,
    open_ticket,
)
from tests.phone import at, helpdesk


@pytest.fixture
def context(phone_app: Flask) -> Context:
    return helpdesk(phone_app)


def _post(db: Session, entry: time_entries.EntryForm) -> TimeEntry:
    posted = time_entries.post(db, entry, entry.technician_id, low_minutes=LOW)
    db.commit()
    return posted


@pytest.mark.parametrize(
    ("line", "kind", "raw", "charged"),
    [
        (Line.REGULAR, "phone", 15, 15),
        (Line.REGULAR, "phone", 16, 30),
        (Line.REGULAR, "onsite", 59, 60),
        (Line.REGULAR, "onsite", 61, 90),
        (Line.URGENT, "phone", 60, 60),
        (Line.URGENT, "phone", 61, 90),
        (Line.URGENT, "onsite", 5, 120),
        (Line.URGENT, "onsite", 121, 180),
    ],
)
def test_a_bank_is_debited_the_charged_time_at_the_block_boundaries(
    db: Session, context: Context, line: Line, kind: str, raw: int, charged: int
) -> None:
    buy(db, BOULANGERIE, 10)
    ticket = open_ticket(db, context, line=line)
    entry = _post(db, form(ticket, luc(db), kind=kind, minutes=raw))
    assert (entry.minutes, entry.billed_minutes, entry.bank_minutes) == (raw, charged, charged)
    assert ledger(db, BOULANGERIE) == [("purchase", 600), ("usage", -charged)]


def test_a_client_without_a_bank_is_charged_the_larger_blocks_outside_any_bank(
    db: Session, context: Context
) -> None:
    ticket = open_ticket(db, context, QUINCAILLERIE)
    entry = _post(db, form(ticket, luc(db), minutes=31))
    assert (entry.billed_minutes, entry.bank_minutes, entry.overage_minutes) == (60, 0, 60)
    assert ledger(db, QUINCAILLERIE) == []


def test_a_bank_that_runs_out_mid_entry_pays_what_it_holds_and_the_rest_is_overage(
    db: Session, context: Context
) -> None:
    buy(db, BOULANGERIE, 1)
    ticket = open_ticket(db, context)
    _post(db, form(ticket, luc(db), minutes=40))  # 45 charged: 15 left
    entry = _post(db, form(ticket, luc(db), minutes=40))
    assert (entry.billed_minutes, entry.bank_minutes, entry.overage_minutes) == (45, 15, 30)
    assert banks.balance(db, client(db, BOULANGERIE).id) == 0


def test_an_empty_bank_pays_nothing_and_the_balance_never_goes_below_zero(
    db: Session, context: Context
) -> None:
    buy(db, BOULANGERIE, 1)
    ticket = open_ticket(db, context)
    _post(db, form(ticket, luc(db), minutes=60))
    entry = _post(db, form(ticket, luc(db), minutes=30))
    assert (entry.bank_minutes, entry.overage_minutes) == (0, 30)
    assert ledger(db, BOULANGERIE) == [("purchase", 60), ("usage", -60)]


def test_training_is_never_paid_from_the_bank(db: Session, context: Context) -> None:
    buy(db, BOULANGERIE, 5)
    ticket = open_ticket(db, context)
    entry = _post(db, form(ticket, luc(db), minutes=20, category="training"))
    assert (entry.billed_minutes, entry.bank_minutes, entry.overage_minutes) == (30, 0, 30)
    assert ledger(db, BOULANGERIE) == [("purchase", 300)]


def test_a_change_request_is_never_paid_from_the_bank(db: Session, context: Context) -> None:
    buy(db, BOULANGERIE, 5)
    ticket = open_ticket(db, context)
    entry = _post(db, form(ticket, luc(db), minutes=20, category="ddm"))
    assert (entry.category.value, entry.bank_minutes, entry.overage_minutes) == (
        "change_request",
        0,
        30,
    )


def test_travel_within_25_km_is_not_charged(db: Session, context: Context) -> None:
    buy(db, BOULANGERIE, 5)
    ticket = open_ticket(db, context)  # the bakery is 12.5 km from downtown
    entry = _post(
        db, form(ticket, luc(db), kind="onsite", minutes=60, travel_minutes=30, expenses_cents=900)
    )
    assert (entry.travel_km, entry.travel_billed_minutes, entry.expenses_billed_cents) == (
        12.5,
        0,
        0,
    )


def test_travel_beyond_25_km_is_charged_on_top_and_never_from_the_bank(
    db: Session, context: Context
) -> None:
    buy(db, BOULANGERIE, 5)
    ticket = open_ticket(db, context)
    entry = _post(
        db,
        form(
            ticket,
            luc(db),
            kind="onsite",
            minutes=60,
            distance_km=31.0,
            travel_minutes=50,
            expenses_cents=2150,
        ),
    )
    assert (entry.bank_minutes, entry.travel_billed_minutes, entry.expenses_billed_cents) == (
        60,
        50,
        2150,
    )
    assert ledger(db, BOULANGERIE) == [("purchase", 300), ("usage", -60)]


def test_a_site_at_exactly_25_km_is_inside_the_free_radius(db: Session, context: Context) -> None:
    ticket = open_ticket(db, context)
    entry = _post(
        db, form(ticket, luc(db), kind="onsite", minutes=60, distance_km=25.0, travel_minutes=40)
    )
    assert entry.travel_billed_minutes == 0


def _opened_before_and_posted_after(
    db: Session, context: Context, entry: dict[str, object], start: datetime, end: datetime
) -> TimeEntry:
    """Work typed with its start and end: the ticket opened that morning, the time posted
    once the work is done."""
    with time_machine.travel(start.replace(hour=0, minute=5), tick=False):
        ticket = open_ticket(db, context)
    with time_machine.travel(end + timedelta(hours=1), tick=False):
        return _post(db, form(ticket, luc(db), started_at=start, ended_at=end, **entry))


def test_the_duration_may_be_given_as_a_start_and_an_end(db: Session, context: Context) -> None:
    start = at(2026, 12, 1, 9, 0)
    end = start + timedelta(minutes=47)
    entry = _opened_before_and_posted_after(db, context, {"minutes": None}, start, end)
    assert (entry.minutes, entry.billed_minutes, entry.started_at) == (47, 60, start)


@pytest.mark.parametrize(
    ("started", "ended", "worked"),
    [
        # The clocks fall back at 2:00 on 2026-11-01: 22:00 to 4:00 is seven hours of work.
        ((2026, 10, 31, 22, 0), (2026, 11, 1, 4, 0), 7 * 60),
        # They spring forward at 2:00 on 2027-03-14: 1:30 to 3:30 is one hour of work.
        ((2027, 3, 14, 1, 30), (2027, 3, 14, 3, 30), 60),
        # 1:20 comes twice that autumn night: after a start at the first 1:30, the second one.
        ((2026, 11, 1, 1, 30), (2026, 11, 1, 1, 20), 50),
    ],
)
def test_a_start_and_an_end_across_a_change_of_the_clocks_count_the_real_time_worked(
    db: Session,
    context: Context,
    started: tuple[int, ...],
    ended: tuple[int, ...],
    worked: int,
) -> None:
    entry = _opened_before_and_posted_after(
        db, context, {"minutes": None}, at(*started), at(*ended)
    )
    assert entry.minutes == worked


def test_an_urgency_changed_from_the_tickets_is_charged_as_changed_with_its_reason(
    db: Session, context: Context
) -> None:
    buy(db, BOULANGERIE, 5)
    ticket = open_ticket(db, context, line=Line.REGULAR)
    entry = _post(
        db,
        form(ticket, luc(db), minutes=20, urgency="urgent", urgency_reason="Paie bloquée ce matin"),
    )
    assert (entry.urgency, entry.urgency_reason, entry.billed_minutes) == (
        Line.URGENT,
        "Paie bloquée ce matin",
        60,
    )


def test_correcting_an_entry_reverses_its_debit_and_posts_the_corrected_one(
    db: Session, context: Context
) -> None:
    buy(db, BOULANGERIE, 5)
    ticket = open_ticket(db, context)
    first = _post(db, form(ticket, luc(db), minutes=30))
    second = time_entries.correct(
        db,
        first.id,
        form(ticket, luc(db), minutes=50),
        helene(db),
        "Oubli de 20 min",
        low_minutes=LOW,
    )
    db.commit()
    assert ledger(db, BOULANGERIE) == [
        ("purchase", 300),
        ("usage", -30),
        ("reversal", 30),
        ("usage", -60),
    ]
    assert (second.corrects_id, second.posted_by_id, second.correction_reason) == (
        first.id,
        helene(db),
        "Oubli de 20 min",
    )
    assert time_entries.corrected_by(db, first.id) == second
    assert [e.kind for e in ticket.events][-2:] == [
        TicketEventKind.TIME_POSTED,
        TicketEventKind.TIME_CORRECTED,
    ]


def test_an_entry_already_corrected_cannot_be_corrected_again(
    db: Session, context: Context
) -> None:
    buy(db, BOULANGERIE, 5)
    ticket = open_ticket(db, context)
    first = _post(db, form(ticket, luc(db), minutes=30))
    time_entries.correct(
        db, first.id, form(ticket, luc(db), minutes=45), helene(db), "x", low_minutes=LOW
    )
    db.commit()
    with pytest.raises(InvalidEntry, match="already corrected"):
        time_entries.correct(
            db, first.id, form(ticket, luc(db), minutes=15), helene(db), "y", low_minutes=LOW
        )


def test_a_correction_without_a_reason_is_refused(db: Session, context: Context) -> None:
    ticket = open_ticket(db, context)
    first = _post(db, form(ticket, luc(db), minutes=30))
    with pytest.raises(InvalidEntry, match="why: say why"):
        time_entries.correct(db, first.id, form(ticket, luc(db)), helene(db), " ", low_minutes=LOW)


BAD_ENTRIES = [
    ({"minutes": 0}, "minutes: 0 is not between 1 and 1440"),
    ({"minutes": -15}, "minutes: -15 is not between 1 and 1440"),
    ({"minutes": 1441}, "minutes: 1441 is not between 1 and 1440"),
    (
        {"minutes": None, "started_at": at(2026, 12, 1, 10), "ended_at": at(2026, 12, 1, 9)},
        "ended_at: the end is not after the start",
    ),
    # The autumn night 1:00-2:00 comes twice: an end before the start stays refused, and so
    # does an end that reads as the start.
    (
        {"minutes": None, "started_at": at(2026, 11, 1, 3), "ended_at": at(2026, 11, 1, 1, 30)},
        "ended_at: the end is not after the start",
    ),
    (
        {"minutes": None, "started_at": at(2026, 11, 1, 1, 30), "ended_at": at(2026, 11, 1, 1, 30)},
        "ended_at: the end is not after the start",
    ),
    (
        {"minutes": None, "started_at": at(2026, 12, 1, 10), "ended_at": at(2026, 12, 2, 10, 1)},
        "minutes: 1441 is not between 1 and 1440",
    ),
    ({"minutes": None}, "minutes: give the minutes worked, or a start and an end"),
    ({"kind": "onsite", "distance_km": 0.0}, "distance_km: on-site work needs the site"),
    ({"category": "consulting"}, "category: unknown value 'consulting'"),
    ({"kind": "remote"}, "kind: unknown value 'remote'"),
    ({"urgency": "urgent"}, "urgency_reason: say why"),
    ({"urgency": "critical"}, "urgency: unknown value 'critical'"),
    ({"travel_minutes": 20}, "travel: phone work has no travel"),
]


@pytest.mark.parametrize(("fields", "message"), BAD_ENTRIES)
def test_a_bad_entry_is_refused_with_what_is_wrong_and_the_ledger_unchanged(
    db: Session, context: Context, fields: dict[str, object], message: str
) -> None:
    buy(db, BOULANGERIE, 2)
    ticket = open_ticket(db, context)
    with pytest.raises(InvalidEntry, match=message):
        time_entries.post(db, form(ticket, luc(db), **fields), luc(db), low_minutes=LOW)
    db.rollback()
    assert ledger(db, BOULANGERIE) == [("purchase", 120)]
    assert db.scalars(select(TimeEntry)).all() == []


def test_night_work_across_the_autumn_change_is_posted_minutes_after_it_ends(
    db: Session, context: Context
) -> None:
    # 22:00 to 4:00 on the night the clocks fall back is seven hours, ended at 4:00: posted at
    # 4:10, it is not "in the future".
    start, end = at(2027, 11, 6, 22), at(2027, 11, 7, 4)
    with time_machine.travel(at(2027, 11, 6, 21), tick=False):
        ticket = open_ticket(db, context)
    with time_machine.travel(at(2027, 11, 7, 4, 10), tick=False):
        entry = _post(db, form(ticket, luc(db), minutes=None, started_at=start, ended_at=end))
    assert entry.minutes == 7 * 60


def test_work_that_ends_later_today_is_refused_and_nothing_is_billed(
    db: Session, context: Context
) -> None:
    # At 8:49, 14:00 to 14:30 (14:00 typed for 8:00): work not done is neither billed nor
    # announced to the client.
    buy(db, BOULANGERIE, 2)
    with time_machine.travel(at(2026, 12, 1, 8, 30), tick=False):
        ticket = open_ticket(db, context)
    work = form(
        ticket,
        luc(db),
        minutes=None,
        started_at=at(2026, 12, 1, 14),
        ended_at=at(2026, 12, 1, 14, 30),
    )
    with (
        time_machine.travel(at(2026, 12, 1, 8, 49), tick=False),
        pytest.raises(
            InvalidEntry, match="ended_at: the work ends 2026-12-01 14:30:00-05:00, later"
        ),
    ):
        time_entries.post(db, work, luc(db), low_minutes=LOW)
    db.rollback()
    assert ledger(db, BOULANGERIE) == [("purchase", 120)]
    assert db.scalars(select(TimeEntry)).all() == []


def test_work_ending_within_five_minutes_of_now_is_posted_a_clock_may_run_ahead(
    db: Session, context: Context
) -> None:
    with time_machine.travel(at(2026, 12, 1, 8, 30), tick=False):
        ticket = open_ticket(db, context)
    work = form(
        ticket,
        luc(db),
        minutes=None,
        started_at=at(2026, 12, 1, 8, 40),
        ended_at=at(2026, 12, 1, 8, 54),
    )
    with time_machine.travel(at(2026, 12, 1, 8, 49), tick=False):
        entry = _post(db, work)
    assert entry.minutes == 14


MISTIMED_ENTRIES = [
    # A year typed wrong: the work would start long before the ticket was opened.
    (
        {"minutes": None, "started_at": at(1900, 1, 1, 10), "ended_at": at(1900, 1, 1, 11)},
        "started_at: the work starts more than a year before ticket {number} was opened, "
        "on 2026-12-01",
    ),
    (
        {"minutes": None, "started_at": at(2062, 12, 1, 10), "ended_at": at(2062, 12, 1, 12)},
        "ended_at: the work ends 2062-12-01 12:00:00-05:00, later than now",
    ),
    (
        {"minutes": 30, "started_at": at(2026, 12, 1, 9), "ended_at": at(2026, 12, 1, 10)},
        "minutes: 30, but the start and the end make 60: give one or the other",
    ),
]


@pytest.mark.parametrize(("fields", "message"), MISTIMED_ENTRIES)
def test_work_typed_a_year_or_more_away_or_twice_over_is_refused(
    db: Session, context: Context, fields: dict[str, object], message: str
) -> None:
    buy(db, BOULANGERIE, 2)
    with time_machine.travel(at(2026, 12, 1, 8), tick=False):
        ticket = open_ticket(db, context)
    with (
        time_machine.travel(at(2026, 12, 1, 11), tick=False),
        pytest.raises(InvalidEntry, match=message.format(number=ticket.number)),
    ):
        time_entries.post(db, form(ticket, luc(db), **fields), luc(db), low_minutes=LOW)
    db.rollback()
    assert ledger(db, BOULANGERIE) == [("purchase", 120)]


def test_an_entry_on_a_closed_ticket_is_refused(db: Session, context: Context) -> None:
    buy(db, BOULANGERIE, 2)
    ticket = open_ticket(db, context)
    tickets.close(ticket, luc(db), reopen_within=timedelta(days=14))
    db.commit()
    with pytest.raises(InvalidEntry, match=f"ticket: ticket {ticket.number} is closed"):
        time_entries.post(db, form(ticket, luc(db)), luc(db), low_minutes=LOW)
    db.rollback()
    assert ledger(db, BOULANGERIE) == [("purchase", 120)]


def test_an_entry_on_another_clients_ticket_is_refused(db: Session, context: Context) -> None:
    buy(db, BOULANGERIE, 2)
    ticket = open_ticket(db, context, DENTAL)
    entry = form(ticket, luc(db), client_id=client(db, BOULANGERIE).id)
    with pytest.raises(InvalidEntry, match=f"ticket {ticket.number} belongs to another client"):
        time_entries.post(db, entry, luc(db), low_minutes=LOW)
    db.rollback()
    assert ledger(db, BOULANGERIE) == [("purchase", 120)]
    assert ledger(db, DENTAL) == []


@pytest.mark.parametrize("hours", [0, -3])
def test_a_purchase_of_no_hours_is_refused(db: Session, context: Context, hours: int) -> None:
    with pytest.raises(InvalidEntry, match=f"hours: {hours} is not between 1 and 1000"):
        buy(db, BOULANGERIE, hours)
    db.rollback()
    assert ledger(db, BOULANGERIE) == []


def test_a_purchase_without_an_invoice_is_refused(db: Session, context: Context) -> None:
    with pytest.raises(InvalidEntry, match="invoice: the invoice reference is required"):
        buy(db, BOULANGERIE, 10, invoice="  ")


def test_a_purchase_is_priced_from_the_rate_table_and_due_net_30_days(
    db: Session, context: Context
) -> None:
    row = buy(db, DENTAL, 20, invoice="F-2026-0140")
    assert (row.minutes, row.price_per_hour_cents, row.due_on, row.invoice) == (
        1200,
        12500,
        date(2026, 12, 31),
        "F-2026-0140",
    )


def test_a_purchase_makes_a_client_without_a_bank_a_client_with_one(
    db: Session, context: Context
) -> None:
    buy(db, QUINCAILLERIE, 10)
    ticket = open_ticket(db, context, QUINCAILLERIE)
    entry = _post(db, form(ticket, luc(db), minutes=20))
    assert (entry.billed_minutes, entry.bank_minutes) == (30, 30)


def test_falling_below_the_threshold_queues_one_alert_per_crossing(
    db: Session, context: Context
) -> None:
    buy(db, BOULANGERIE, 3)  # 180 min
    ticket = open_ticket(db, context)
    _post(db, form(ticket, luc(db), minutes=45))  # 135: above 120
    crossing = _post(db, form(ticket, luc(db), minutes=30))  # 105: crosses
    _post(db, form(ticket, luc(db), minutes=30))  # 75: still below, no new alert
    debit = db.scalars(
        select(BankTransaction).where(BankTransaction.time_entry_id == crossing.id)
    ).one()
    alerts = db.scalars(select(OutboxTask).where(OutboxTask.task == "bank.low")).all()
    owner = client(db, BOULANGERIE).id
    assert [a.key for a in alerts] == [f"bank-{owner}-low-{debit.id}"]


def test_the_ledger_has_no_refund_and_no_transfer() -> None:
    assert {reason.value for reason in BankReason} == {
        "purchase",
        "usage",
        "adjustment",
        "reversal",
    }
    assert not hasattr(banks, "refund") and not hasattr(banks, "transfer")


def test_a_purchases_payment_is_recorded_once(db: Session, context: Context) -> None:
    row = buy(db, DENTAL, 10, invoice="F-2026-0141")
    with time_machine.travel(at(2026, 12, 15, 10), tick=False):
        banks.record_payment(db, row.id, date(2026, 12, 10), helene(db))
        db.commit()
        with pytest.raises(InvalidEntry, match="F-2026-0141 was already paid on 2026-12-10"):
            banks.record_payment(db, row.id, date(2026, 12, 11), helene(db))


def test_a_payment_dated_in_the_future_is_refused(db: Session, context: Context) -> None:
    row = buy(db, DENTAL, 10)
    future = "paid_on: 2026-12-20 is in the future"
    with (
        time_machine.travel(at(2026, 12, 15, 10), tick=False),
        pytest.raises(InvalidEntry, match=future),
    ):
        banks.record_payment(db, row.id, date(2026, 12, 20), helene(db))


def test_a_purchase_recorded_twice_by_the_same_invoice_is_refused(
    db: Session, context: Context
) -> None:
    buy(db, BOULANGERIE, 10, invoice="F-2026-0777")
    with pytest.raises(InvalidEntry, match="F-2026-0777 is already recorded"):
        buy(db, BOULANGERIE, 10, invoice="F-2026-0777")
    assert ledger(db, BOULANGERIE) == [("purchase", 600)]


def test_a_purchase_keeps_its_invoice_date_and_is_due_30_days_later(
    db: Session, context: Context
) -> None:
    owner = client(db, BOULANGERIE).id
    row = banks.record_purchase(
        db,
        banks.Purchase(owner, 5, "F-2026-0888", date(2026, 11, 2)),
        helene(db),
        low_minutes=LOW,
        zone=MONTREAL,
    )
    assert row.due_on == date(2026, 12, 2)
