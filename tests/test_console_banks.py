"""The console's hour-bank pages: a ticket's time form with its preview, posting time, and the
supervisors' balances, ledger, purchases, corrections and statements."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import banks
from models import Ticket, TimeEntry
from tests.banking import BOULANGERIE, buy, client, ledger
from tests.console_world import (
    DAVID,
    HELENE,
    KARIM,
    LUC,
    REACHED,
    give_passwords,
    signed_in,
    signed_in_at,
)
from tests.phone import at, place_call

TICKET = "/console/tickets/1001"
WORK = {"kind": "phone", "category": "support", "minutes": "40"}


@pytest.fixture
def desk(phone_app: Flask, db: Session) -> Flask:
    """Ticket 1001: regular, the bakery (hour bank of 1 h), by phone."""
    give_passwords(db)
    place_call(phone_app, at(2026, 12, 1, 10), press="6")
    with time_machine.travel(at(2026, 12, 1, 10, 30), tick=False):  # recorded in the story
        buy(db, BOULANGERIE, 1)
    return phone_app


def _entries(db: Session) -> list[tuple[int, int, int, int]]:
    db.expire_all()
    rows = db.scalars(select(TimeEntry).order_by(TimeEntry.id))
    return [(e.minutes, e.billed_minutes, e.bank_minutes, e.overage_minutes) for e in rows]


def _dd(page: str, css: str) -> str:
    found = re.search(rf'<dd class="{css}">([^<]*)</dd>', page)
    assert found, f"no {css} in the preview"
    return found.group(1)


def test_the_preview_shows_the_charge_and_what_the_bank_pays_without_posting(
    desk: Flask, db: Session
) -> None:
    luc = signed_in(desk, LUC)
    response = luc.post(f"{TICKET}/time/preview", {**WORK, "minutes": "70"}, page=TICKET)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (_dd(page, "raw"), _dd(page, "charged"), _dd(page, "bank-paid")) == (
        "1 h 10",
        "1 h 15",
        "1 h",
    )
    assert (_dd(page, "overage"), _dd(page, "balance")) == ("15 min", "1 h → 0 min")
    assert _entries(db) == []
    assert 'name="minutes" min="1" max="1440" value="70"' in page  # the form stays filled


def test_the_preview_of_on_site_work_beyond_25_km_charges_travel_outside_the_bank(
    desk: Flask,
) -> None:
    onsite = {
        **WORK,
        "kind": "onsite",
        "minutes": "45",
        "distance_km": "31,5",
        "travel_minutes": "50",
        "expenses": "21,50",
    }
    luc = signed_in(desk, LUC)
    page = luc.post(f"{TICKET}/time/preview", onsite, page=TICKET).get_data(as_text=True)
    assert (_dd(page, "charged"), _dd(page, "bank-paid"), _dd(page, "overage")) == (
        "1 h",
        "1 h",
        "0 min",
    )
    assert _dd(page, "travel").startswith("50 min, 21,50")


def test_posting_time_debits_the_bank_and_lists_the_entry(desk: Flask, db: Session) -> None:
    luc = signed_in(desk, LUC)
    response = luc.post(f"{TICKET}/time", WORK, page=TICKET)
    assert response.status_code == 302
    assert _entries(db) == [(40, 45, 45, 0)]
    assert ledger(db, BOULANGERIE) == [("purchase", 60), ("usage", -45)]
    assert '<tr id="entry-' in luc.text(TICKET)


def test_a_refused_entry_says_why_and_keeps_the_ledger(desk: Flask, db: Session) -> None:
    luc = signed_in(desk, LUC)
    response = luc.post(f"{TICKET}/time", {**WORK, "minutes": "0"}, page=TICKET)
    assert response.status_code == 422
    assert "pas entre 1 et 1440 minutes" in response.get_data(as_text=True)  # in French
    assert ledger(db, BOULANGERIE) == [("purchase", 60)]


def test_a_start_and_an_end_across_the_autumn_change_preview_the_real_time_worked(
    desk: Flask,
) -> None:
    # The clocks fall back at 2:00 on 2027-11-07: 22:00 to 4:00 is seven hours of work.
    night = {
        **WORK,
        "minutes": "",
        "started_at": "2027-11-06T22:00",
        "ended_at": "2027-11-07T04:00",
    }
    with signed_in_at(desk, LUC, at(2027, 11, 7, 9)) as luc:
        page = luc.post(f"{TICKET}/time/preview", night, page=TICKET).get_data(as_text=True)
    assert _dd(page, "raw") == "7 h"


def test_a_time_the_spring_change_skipped_is_refused_as_such(desk: Flask, db: Session) -> None:
    luc = signed_in(desk, LUC)
    skipped = {
        **WORK,
        "minutes": "",
        "started_at": "2027-03-14T02:30",
        "ended_at": "2027-03-14T04:00",
    }
    response = luc.post(f"{TICKET}/time", skipped, page=TICKET)
    assert response.status_code == 422
    assert "2027-03-14T02:30 n&#39;a pas existé" in response.get_data(as_text=True)
    assert ledger(db, BOULANGERIE) == [("purchase", 60)]


def test_a_time_entrys_note_shows_on_the_ticket_and_in_the_bank(desk: Flask) -> None:
    luc = signed_in(desk, LUC)
    luc.post(f"{TICKET}/time", {**WORK, "note": "Diagnostic du pilote <b>"}, page=TICKET)
    note = '<div class="entry-note">Diagnostic du pilote &lt;b&gt;</div>'
    assert note in luc.text(TICKET)
    helene = signed_in(desk, HELENE)
    assert note in helene.text(f"/console/banks/{BOULANGERIE}")


def test_work_typed_in_a_year_long_before_the_ticket_is_refused_in_the_technicians_words(
    desk: Flask, db: Session
) -> None:
    typo = {**WORK, "minutes": "", "started_at": "1900-01-01T10:00", "ended_at": "1900-01-01T11:00"}
    with signed_in_at(desk, LUC, at(2026, 12, 1, 15)) as luc:
        response = luc.post(f"{TICKET}/time", typo, page=TICKET)
    assert response.status_code == 422
    assert (
        "début : la saisie commence plus d&#39;un an avant l&#39;ouverture du billet 1001, "
        "le 1 décembre 2026" in response.get_data(as_text=True)
    )
    assert ledger(db, BOULANGERIE) == [("purchase", 60)]


REACHED_BOX = '<input type="checkbox" name="reached" value="yes">'


def _first_response(db: Session) -> datetime | None:
    db.expire_all()
    return db.scalars(select(Ticket.first_response_at).where(Ticket.number == 1001)).one()


def test_the_time_form_asks_unchecked_whether_the_work_reached_a_client_not_reached_yet(
    desk: Flask,
) -> None:
    page = signed_in(desk, LUC).text(TICKET)
    assert REACHED_BOX in page


def test_the_time_form_no_longer_asks_once_the_client_was_reached(desk: Flask) -> None:
    luc = signed_in(desk, LUC)
    luc.post(f"{TICKET}/called-back", REACHED)
    assert 'name="reached"' not in luc.text(TICKET)


def test_phone_time_posted_without_the_box_leaves_the_client_unreached(
    desk: Flask, db: Session
) -> None:
    with signed_in_at(desk, LUC, at(2026, 12, 1, 10, 43)) as luc:
        assert luc.post(f"{TICKET}/time", WORK, page=TICKET).status_code == 302
    assert _first_response(db) is None


def test_phone_time_posted_with_the_box_checked_reaches_the_client_when_posted(
    desk: Flask, db: Session
) -> None:
    with signed_in_at(desk, LUC, at(2026, 12, 1, 10, 43)) as luc:
        luc.post(f"{TICKET}/time", {**WORK, "reached": "yes"}, page=TICKET)
    assert _first_response(db) == at(2026, 12, 1, 10, 43)


def test_the_reached_box_stays_checked_after_a_preview(desk: Flask) -> None:
    luc = signed_in(desk, LUC)
    response = luc.post(f"{TICKET}/time/preview", {**WORK, "reached": "yes"}, page=TICKET)
    assert '<input type="checkbox" name="reached" value="yes" checked>' in response.get_data(
        as_text=True
    )


def test_work_that_ends_after_now_is_refused_with_its_end_and_the_form_kept(
    desk: Flask, db: Session
) -> None:
    typo = {**WORK, "minutes": "", "started_at": "2026-12-01T14:00", "ended_at": "2026-12-01T14:30"}
    with signed_in_at(desk, DAVID, at(2026, 12, 1, 10, 49)) as david:  # reads English
        response = david.post(f"{TICKET}/time", typo, page=TICKET)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        "end: the work ends Tue Dec 1, 2:30 PM, later than now (Tue Dec 1, 10:49 AM): "
        "post the time once the work is done" in page
    )
    assert 'name="started_at" value="2026-12-01T14:00"' in page
    assert ledger(db, BOULANGERIE) == [("purchase", 60)]


def test_a_technician_may_not_post_time_on_a_ticket_they_may_not_open(
    desk: Flask, db: Session
) -> None:
    karim = signed_in(desk, KARIM)  # on the urgent line only; 1001 is regular
    assert karim.post(f"{TICKET}/time", WORK).status_code == 403
    assert karim.post(f"{TICKET}/time/preview", WORK).status_code == 403
    assert _entries(db) == []


def test_a_technician_may_not_open_the_bank_pages(desk: Flask) -> None:
    luc = signed_in(desk, LUC)
    assert luc.get("/console/banks").status_code == 403
    assert luc.get(f"/console/banks/{BOULANGERIE}").status_code == 403


def test_the_balances_page_lists_every_clients_balance(desk: Flask) -> None:
    page = signed_in(desk, HELENE).text("/console/banks")
    balances = re.findall(
        r'href="/console/banks/(\d+)".*?<td class="balance">([^<]*)</td>', page, re.S
    )
    assert balances == [
        ("1001", "1 h"),
        ("1002", "pas de banque"),
        ("1003", "0 min"),
        ("1004", "pas de banque"),
    ]


def test_a_supervisor_records_a_purchase_priced_and_due_in_30_days(
    desk: Flask, db: Session
) -> None:
    with time_machine.travel(at(2026, 12, 2, 10), tick=False):
        helene = signed_in(desk, HELENE)
        response = helene.post(
            f"/console/banks/{BOULANGERIE}/purchases",
            {"hours": "10", "invoice": "F-2026-0150"},
            page=f"/console/banks/{BOULANGERIE}",
        )
        page = helene.text(f"/console/banks/{BOULANGERIE}")
    assert response.status_code == 302
    assert ledger(db, BOULANGERIE) == [("purchase", 60), ("purchase", 600)]
    assert "F-2026-0150" in page and "ven. 1 janv. 2027" in page


def test_a_purchase_past_its_due_date_is_flagged(desk: Flask) -> None:
    with time_machine.travel(at(2027, 1, 15, 10), tick=False):
        page = signed_in(desk, HELENE).text(f"/console/banks/{BOULANGERIE}")
    assert '<tr class="overdue">' in page


def test_a_paid_purchase_is_no_longer_flagged(desk: Flask) -> None:
    with time_machine.travel(at(2027, 1, 15, 10), tick=False):
        helene = signed_in(desk, HELENE)
        bank = f"/console/banks/{BOULANGERIE}"
        purchase = re.search(r"/purchases/(\d+)/paid", helene.text(bank))
        assert purchase is not None
        paid = f"{bank}/purchases/{purchase.group(1)}/paid"
        assert helene.post(paid, {"paid_on": "2027-01-14"}, page=bank).status_code == 302
        page = helene.text(bank)
    assert '<tr class="overdue">' not in page
    assert "<td>jeu. 14 janv. 2027</td>" in page


def test_a_purchase_of_no_hours_is_refused_in_the_console(desk: Flask, db: Session) -> None:
    helene = signed_in(desk, HELENE)
    helene.post(
        f"/console/banks/{BOULANGERIE}/purchases",
        {"hours": "0", "invoice": "F-1"},
        page=f"/console/banks/{BOULANGERIE}",
    )
    assert "heures : 0 n" in helene.text(f"/console/banks/{BOULANGERIE}")  # in French
    assert ledger(db, BOULANGERIE) == [("purchase", 60)]


def test_a_supervisor_corrects_an_entry(desk: Flask, db: Session) -> None:
    signed_in(desk, LUC).post(f"{TICKET}/time", WORK, page=TICKET)
    entry = db.scalars(select(TimeEntry)).one()
    helene = signed_in(desk, HELENE)
    form = f"/console/time/{entry.id}/correct"
    assert 'name="minutes" min="1" max="1440" value="40"' in helene.text(form)
    response = helene.post(form, {**WORK, "minutes": "20", "why": "20 min en fait"}, page=form)
    assert response.status_code == 302
    assert _entries(db) == [(40, 45, 45, 0), (20, 30, 30, 0)]
    assert ledger(db, BOULANGERIE) == [
        ("purchase", 60),
        ("usage", -45),
        ("reversal", 45),
        ("usage", -30),
    ]


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "2026-13", "0000-01.csv", "9999-12.csv"])
def test_a_statement_for_a_month_that_cannot_be_is_not_found(desk: Flask, month: str) -> None:
    helene = signed_in(desk, HELENE)
    assert helene.get(f"/console/banks/{BOULANGERIE}/statements/{month}").status_code == 404


def test_the_statement_page_and_its_csv(desk: Flask, db: Session) -> None:
    with time_machine.travel(at(2026, 12, 2, 10), tick=False):
        signed_in(desk, LUC).post(f"{TICKET}/time", WORK, page=TICKET)
    helene = signed_in(desk, HELENE)
    page = helene.text(f"/console/banks/{BOULANGERIE}/statements/2026-12")
    assert "Relevé de banque d’heures" in page  # noqa: RUF001
    closing = '<tr class="closing"><td>jeu. 31 déc. 2026</td><td colspan="10">Solde de clôture</td>'
    assert closing in page
    response = helene.get(f"/console/banks/{BOULANGERIE}/statements/2026-12.csv")
    lines = response.get_data(as_text=True).splitlines()
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="releve_{BOULANGERIE}_2026-12.csv"'
    )
    assert lines[0].startswith("\ufeffdate;quoi;billet;technicien;travail;minutes travaillées")
    assert lines[1] == "2026-12-01;solde d'ouverture;;;;;;;;;;;;0"
    entry = "2026-12-02 10:00;saisie de temps;1001;Luc Gagnon;régulier / téléphone / support;"
    assert [line for line in lines if line.startswith(entry)] != []
    assert lines[-1] == "2026-12-31;solde de clôture;;;;;;;;;;;;15"
    assert banks.balance(db, client(db, BOULANGERIE).id) == 15


def test_the_statement_lists_a_purchase_when_recorded_with_its_invoice_date(
    desk: Flask,
) -> None:
    with time_machine.travel(at(2026, 12, 20, 10), tick=False):  # read in the same year
        helene = signed_in(desk, HELENE)
        page = helene.text(f"/console/banks/{BOULANGERIE}/statements/2026-12")
        csv = helene.get(f"/console/banks/{BOULANGERIE}/statements/2026-12.csv")
    assert (
        "<td>mar. 1 déc., 10 h 30</td><td>achat F-2026-0101, facture du mar. 1 déc. 2026</td>"
        in page
    )
    purchase = "2026-12-01 10:30;achat;;;;0;0;60;0;0;0;F-2026-0101;facture du 2026-12-01;60"
    assert purchase in csv.get_data(as_text=True).splitlines()


def test_the_statement_totals_show_the_hours_bought_and_used_apart(desk: Flask) -> None:
    with time_machine.travel(at(2026, 12, 2, 10), tick=False):
        signed_in(desk, LUC).post(f"{TICKET}/time", {**WORK, "minutes": "60"}, page=TICKET)
    page = signed_in(desk, HELENE).text(f"/console/banks/{BOULANGERIE}/statements/2026-12")
    bought = re.search(r'<tr class="totals bought"><td colspan="7">([^<]*)</td><td>([^<]*)<', page)
    used = re.search(r'<tr class="totals used"><td colspan="7">([^<]*)</td><td>([^<]*)<', page)
    assert bought and used
    assert (bought.groups(), used.groups()) == (
        ("Heures achetées", "1 h"),
        ("Heures prises de la banque", "-1 h"),
    )


def test_the_ledger_lists_lines_in_the_order_they_were_recorded(desk: Flask, db: Session) -> None:
    with time_machine.travel(at(2026, 12, 7, 20, 50), tick=False):
        signed_in(desk, LUC).post(f"{TICKET}/time", {**WORK, "minutes": "60"}, page=TICKET)
    with time_machine.travel(at(2026, 12, 7, 20, 57), tick=False):
        helene = signed_in(desk, HELENE)
        bank = f"/console/banks/{BOULANGERIE}"
        helene.post(f"{bank}/purchases", {"hours": "10", "invoice": "F-2026-0160"}, page=bank)
        ledger_table = helene.text(bank).split('<section class="card ledger">')[1]
    dates = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td>", ledger_table)
    assert dates == [
        ("lun. 7 déc., 20 h 57", "achat"),
        ("lun. 7 déc., 20 h 50", "saisie de temps"),
        ("mar. 1 déc., 10 h 30", "achat"),
    ]


def _bank_page_after_buying_10_hours(desk: Flask, who: str) -> str:
    """The bank's page as ``who`` reads it once they recorded 10 hours bought, invoiced today."""
    with time_machine.travel(at(2026, 12, 7, 20, 57), tick=False):
        supervisor = signed_in(desk, who)
        bank = f"/console/banks/{BOULANGERIE}"
        supervisor.post(f"{bank}/purchases", {"hours": "10", "invoice": "F-2026-0160"}, page=bank)
        return supervisor.text(bank)


@pytest.mark.parametrize(
    ("who", "flash"),
    [
        (HELENE, "10 h enregistrées, payables le mer. 6 janv. 2027."),
        (DAVID, "10 h recorded, due Wed Jan 6, 2027."),
    ],
)
def test_a_purchases_due_date_reads_as_a_date_in_the_readers_language(
    desk: Flask, who: str, flash: str
) -> None:
    page = _bank_page_after_buying_10_hours(desk, who)
    assert f'<p class="flash info" role="status">{flash}</p>' in page


@pytest.mark.parametrize(
    ("who", "cells"),
    [
        (HELENE, ("lun. 7 déc. 2026", "mer. 6 janv. 2027")),
        (DAVID, ("Mon Dec 7, 2026", "Wed Jan 6, 2027")),
    ],
)
def test_a_purchases_invoice_and_due_dates_are_dates_without_a_time(
    desk: Flask, who: str, cells: tuple[str, str]
) -> None:
    page = _bank_page_after_buying_10_hours(desk, who)
    invoiced, due = cells
    assert f"<td>{invoiced}</td><td>10 h</td><td>F-2026-0160</td>" in page
    assert f"<td>{due}</td>" in page
