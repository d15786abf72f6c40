"""Supervisors' pages: the call log, a call's timeline, messages to verify, the SLA board, staff."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from console import calllog
from models import Call, CallDirection, Contact, Language, Line, Ticket, TicketStatus
from tests.console_world import DAVID, HELENE, LUC, Staff, give_passwords, staff_id
from tests.counting import statements
from tests.phone import NADIA, at, place_call, the_call, the_ticket


@pytest.fixture
def helene(phone_app: Flask, db: Session) -> Staff:
    give_passwords(db)
    supervisor = Staff(phone_app)
    supervisor.sign_in(HELENE)
    return supervisor


def _calls(page: str) -> list[str]:
    return re.findall(r'href="/console/calls/(\d+)"', page)


def test_the_call_log_filters_by_line_outcome_client_number_and_technician(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    regular = the_call(db, place_call(phone_app, at(2026, 12, 1, 10), press="6"))
    urgent = the_call(
        db, place_call(phone_app, at(2026, 12, 1, 10, 5), press="7", techs=("refuse", "accept"))
    )
    dental = the_call(
        db, place_call(phone_app, at(2026, 12, 2, 9), press="6", caller="+15145550121")
    )
    sophie = staff_id(db, "sophie@altilogix.example")
    cases = {
        "": [dental, urgent, regular],
        "?line=urgent": [urgent],
        "?outcome=connected": [urgent],
        "?client=1003": [dental],
        "?number=514+555-0121": [dental],
        f"?technician={sophie}": [urgent],
        "?from=2026-12-02": [dental],
        "?to=2026-12-01": [urgent, regular],
        "?direction=outbound": [],
    }
    for query, expected in cases.items():
        page = helene.text(f"/console/calls/{query}")
        assert _calls(page) == [str(c.id) for c in expected], query
    assert "Ignorés (illisibles) : De" in helene.text("/console/calls/?from=yesterday")


def test_pages_are_stable_when_new_calls_arrive(
    phone_app: Flask, db: Session, helene: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calllog, "PAGE_SIZE", 2)
    monkeypatch.setattr(calllog.page, "__defaults__", (None, 2))
    for minute in (0, 10, 20):
        place_call(phone_app, at(2026, 12, 1, 10, minute), press="6")
    first = helene.text("/console/calls/")
    [older] = re.findall(r'rel="next" href="([^"]+)"', first)
    place_call(phone_app, at(2026, 12, 1, 10, 30), press="6")  # arrives meanwhile
    second = helene.text(older.replace("&amp;", "&"))
    ids = sorted(int(c.id) for c in db.scalars(select(Call)))
    assert _calls(first) == [str(ids[2]), str(ids[1])]
    assert _calls(second) == [str(ids[0])]
    assert 'rel="next"' not in second


def test_the_csv_export_holds_what_is_filtered(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    place_call(phone_app, at(2026, 12, 1, 10), press="6")
    place_call(phone_app, at(2026, 12, 1, 11), press="6", caller="+15145550121")
    response = helene.get("/console/calls/export.csv?client=1003")
    assert response.mimetype == "text/csv"
    rows = _csv(response.get_data(as_text=True))
    assert rows[0][:4] == ["début", "fin", "sens", "ligne"]
    assert [(r[0], r[2], r[4], r[6]) for r in rows[1:]] == [
        ("2026-12-01 11:00:00", "appel entrant", "+15145550121", "Westmount Dental Clinic")
    ]


def _csv(text: str, separator: str = ";") -> list[list[str]]:
    """A French spreadsheet's reading: the byte-order mark first, then ";" between cells."""
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=separator))


def test_the_csv_export_opens_right_in_a_french_or_an_english_spreadsheet(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    place_call(phone_app, at(2026, 12, 1, 11), press="6", caller="+15145550121")
    french = helene.get("/console/calls/export.csv?from=2026-12-01&to=2026-12-07")
    disposition = 'attachment; filename="appels_2026-12-01_2026-12-07.csv"'
    assert french.headers["Content-Disposition"] == disposition
    assert _csv(french.get_data(as_text=True))[1][8] == "message laissé"
    chosen = helene.get("/console/calls/export.csv?sep=comma")
    assert _csv(chosen.get_data(as_text=True), ",")[0][:2] == ["début", "fin"]
    give_passwords(db)
    david = Staff(phone_app)
    david.sign_in(DAVID)
    english = david.get("/console/calls/export.csv?from=2026-12-01")
    assert english.headers["Content-Disposition"] == 'attachment; filename="calls_2026-12-01.csv"'
    rows = _csv(english.get_data(as_text=True), ",")
    assert rows[0][:3] == ["start", "end", "direction"]
    assert rows[1][8] == "message left"


def test_an_after_hours_call_that_left_a_message_says_so_in_the_log(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    place_call(phone_app, at(2026, 12, 1, 19, 59), press="6", caller="+15145550121")
    place_call(
        phone_app, at(2026, 12, 1, 20, 30), press="6", caller="+15145550121", record_seconds=0
    )
    page = helene.text("/console/calls/?from=2026-12-01&to=2026-12-01")
    assert page.count("<td>hors des heures, message laissé</td>") == 1
    assert page.count("<td>hors des heures</td>") == 1
    # The export keeps its columns where spreadsheets read them: the outcome as stored.
    export = helene.get("/console/calls/export.csv?from=2026-12-01&to=2026-12-01")
    rows = _csv(export.get_data(as_text=True))
    assert len(rows[0]) == 14 and rows[0][-1] == "identifiant d'appel Twilio"
    assert [row[8] for row in rows[1:]] == ["hors des heures", "hors des heures"]


def test_the_call_log_lists_every_call_that_left_a_message_whatever_its_outcome(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    in_hours = the_call(db, place_call(phone_app, at(2026, 12, 1, 10), press="6"))
    after_hours = the_call(
        db, place_call(phone_app, at(2026, 12, 1, 20, 30), press="6", caller="+15145550121")
    )
    place_call(phone_app, at(2026, 12, 1, 21), press="6", caller="+15145550121", record_seconds=0)
    page = helene.text("/console/calls/?message=1")
    assert _calls(page) == [str(after_hours.id), str(in_hours.id)]
    assert _calls(helene.text("/console/calls/?message=1&outcome=message")) == [str(in_hours.id)]
    export = helene.get("/console/calls/export.csv?message=1")
    assert len(_csv(export.get_data(as_text=True))) == 3  # the header and the two calls


def test_the_csv_export_streams_every_row_in_order_across_chunks(
    db: Session, helene: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calllog, "EXPORT_CHUNK", 4)
    start = at(2026, 12, 1, 9)
    for i in range(11):  # two calls a minute: a chunk ends between two calls of the same minute
        moment = start + timedelta(minutes=i // 2)
        db.add(Call(call_sid=f"CA{i:032d}", line=Line.REGULAR, started_at=moment, status="done"))
    db.add(Call(call_sid="CA-urgent", line=Line.URGENT, started_at=start, status="done"))
    db.commit()
    response = helene.get("/console/calls/export.csv?line=regular")
    assert (response.status_code, response.is_streamed) == (200, True)
    rows = _csv(response.get_data(as_text=True))
    assert rows[0][0] == "début" and rows[0][-1] == "identifiant d'appel Twilio"
    expected = sorted(db.scalars(select(Call).where(Call.line == Line.REGULAR)), key=_newest_first)
    assert [r[-1] for r in rows[1:]] == [c.call_sid for c in expected]
    assert len(rows) - 1 == 11 > calllog.EXPORT_CHUNK


def _newest_first(call: Call) -> tuple[float, int]:
    return (-call.started_at.timestamp(), -call.id)


def test_a_cell_that_a_spreadsheet_would_run_is_defused() -> None:
    assert calllog.safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert calllog.safe_cell("+15145550101") == "+15145550101"
    assert calllog.safe_cell("-x") == "'-x"


def test_a_call_opens_its_timeline_rings_and_ticket(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    call = the_call(
        db, place_call(phone_app, at(2026, 12, 1, 10, 5), press="7", techs=("refuse", "accept"))
    )
    page = helene.text(f"/console/calls/{call.id}")
    for expected in (
        "appel entrant",
        "techniciens sonnés",
        "<td>Luc Gagnon</td>",
        "refusé",
        "<td>Sophie Lavoie</td>",
        "accepté",
        'href="/console/tickets/1001"',
    ):
        assert expected in page, expected
    assert helene.get("/console/calls/99999").status_code == 404


def test_a_calls_timeline_says_the_language_why_the_line_was_closed_and_the_promise(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    # June 24, the Fête nationale: Marie chooses English at the menu, then regular support.
    call = the_call(db, place_call(phone_app, at(2026, 6, 24, 10), press="9,6"))
    with time_machine.travel(at(2026, 6, 24, 11), tick=False):
        helene.sign_in(HELENE)
        page = helene.text(f"/console/calls/{call.id}")
    for expected in (
        "langue choisie — anglais : choisie au menu",
        "ligne fermée — jour férié (la Fête nationale du Québec)",
        "billet ouvert — billet 1001, échéance jeu. 25 juin, 12 h 30",
        "appelant — un technicien rappellera au plus tard jeu. 25 juin, 12 h 30",
    ):
        assert expected in page, expected


def test_a_calls_timeline_tells_its_steps_apart_to_the_second(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    call = the_call(
        db, place_call(phone_app, at(2026, 12, 1, 10, 5), press="7", techs=("refuse", "accept"))
    )
    for seconds, event in enumerate(call.events):
        event.at = at(2026, 12, 1, 10, 5) + timedelta(seconds=seconds * 7)
    db.commit()
    with time_machine.travel(at(2026, 12, 1, 11), tick=False):
        helene.sign_in(HELENE)
        page = helene.text(f"/console/calls/{call.id}")
    shown = re.findall(r'<time datetime="[^"]+">([^<]+)</time>', page)
    assert shown[:3] == ["10 h 05 min 00 s", "10 h 05 min 07 s", "10 h 05 min 14 s"]
    assert len(set(shown)) == len(call.events)  # every step told apart


def test_callbacks_are_told_apart_from_inbound_calls(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    the_call(db, place_call(phone_app, at(2026, 12, 1, 10), press="6"))
    db.add(
        Call(
            call_sid="CA" + "7" * 32,
            direction=CallDirection.OUTBOUND,
            to_number="+15145550101",
            ticket_id=db.scalars(select(Ticket.id)).one(),
            staff_member_id=staff_id(db, LUC),
            started_at=at(2026, 12, 1, 10, 30),
        )
    )
    db.commit()
    page = helene.text("/console/calls/?direction=outbound")
    assert len(_calls(page)) == 1 and '<tr class="outbound">' in page
    assert "<td>rappel</td>" in page and "<td>Luc Gagnon</td>" in page


def test_the_call_log_runs_the_same_queries_for_1_or_5_calls(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    place_call(phone_app, at(2026, 12, 1, 10), press="7", techs=("accept",))
    with statements(db.get_bind()) as few:
        helene.text("/console/calls/")
    for minute in (10, 20, 30, 40):
        place_call(phone_app, at(2026, 12, 1, 11, minute), press="7", techs=("refuse", "accept"))
    with statements(db.get_bind()) as many:
        assert len(_calls(helene.text("/console/calls/"))) == 5
    assert 0 < len(many) == len(few)


def test_a_message_to_verify_is_attached_to_a_client_and_contact(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    place_call(phone_app, at(2026, 12, 1, 10), caller=NADIA, press="6,1001#")
    ticket = db.scalars(select(Ticket)).one()
    assert ticket.to_verify
    page = helene.text("/console/verify")
    assert f'action="/console/verify/{ticket.number}/settle"' in page
    assert "Numéro de compte donné : 1001" in page
    assert "api.twilio" not in page  # the message plays from the app's own copy, once made
    marie_id = db.scalars(select(Contact.id).where(Contact.name == "Marie Tremblay")).one()
    helene.post(f"/console/verify/{ticket.number}/settle", {"contact": str(marie_id)})
    db.expire_all()
    settled = db.get(Ticket, ticket.id)
    assert settled is not None and not settled.to_verify and settled.contact_id == marie_id
    assert settled.sla_due_at is not None


def test_the_client_a_message_to_verify_names_is_shown_as_not_verified(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    place_call(phone_app, at(2026, 12, 1, 10), caller=NADIA, press="6,1001#")
    number = db.scalars(select(Ticket.number)).one()
    page = helene.text(f"/console/tickets/{number}")
    assert "Boulangerie Saint-Denis (1001) — selon le message, non vérifié" in page


def test_a_message_to_verify_is_closed_with_a_reason(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    place_call(phone_app, at(2026, 12, 1, 10), caller=NADIA, press="6,1001#")
    number = db.scalars(select(Ticket.number)).one()
    helene.post(f"/console/verify/{number}/close", {"reason": ""})
    assert "Refusé : fermer un message à vérifier demande une raison" in helene.text(
        "/console/verify"
    )
    helene.post(f"/console/verify/{number}/close", {"reason": "a wrong number"})
    db.expire_all()
    assert db.scalars(select(Ticket.status)).one() == TicketStatus.CLOSED


def test_a_known_callers_message_to_verify_is_listed_under_their_name_and_line(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    place_call(phone_app, at(2026, 12, 1, 10), caller=NADIA, press="6,1001#")
    assert "Nadia Roy : message (régulier)" in helene.text("/console/verify")


def test_urgent_messages_to_verify_come_first(phone_app: Flask, db: Session, helene: Staff) -> None:
    place_call(phone_app, at(2026, 12, 2, 10), caller="anonymous", press="-,6,1001#")
    place_call(phone_app, at(2026, 12, 2, 10, 5), caller="anonymous", press="7,-")
    regular, urgent = db.scalars(select(Ticket.number).order_by(Ticket.id)).all()
    page = helene.text("/console/verify")
    assert page.index(f'/console/tickets/{urgent}"') < page.index(f'/console/tickets/{regular}"')
    assert "appelant inconnu : message (urgent)" in page


def test_a_phone_message_attached_to_a_contact_takes_their_name(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    place_call(phone_app, at(2026, 12, 1, 10), caller="anonymous", press="-,6,1001#")
    number = db.scalars(select(Ticket.number)).one()
    marie_id = db.scalars(select(Contact.id).where(Contact.name == "Marie Tremblay")).one()
    helene.post(f"/console/verify/{number}/settle", {"contact": str(marie_id)})
    assert "Marie Tremblay (régulier)" in helene.text(f"/console/tickets/{number}")


def test_a_message_to_verify_shows_no_resolution_aim_and_names_a_hidden_number(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    place_call(phone_app, at(2026, 12, 1, 10), caller="anonymous", press="-,6,1001#")
    page = helene.text(f"/console/tickets/{db.scalars(select(Ticket.number)).one()}")
    assert "sans engagement" in page
    assert "Objectif de résolution" not in page
    assert re.search(r"Joint depuis</dt>\s*<dd>numéro masqué", page)


@pytest.mark.parametrize(
    ("press", "contact"),
    [("-,6,1003#", "Emily Carter"), ("9,-,6,1001#", "Marie Tremblay")],
    ids=["an English contact's", "English chosen by key"],
)
def test_a_message_attached_to_a_contact_is_answered_in_their_language_unless_chosen_on_the_call(
    phone_app: Flask, db: Session, helene: Staff, press: str, contact: str
) -> None:
    place_call(phone_app, at(2026, 12, 1, 10), caller="anonymous", press=press)
    number = db.scalars(select(Ticket.number)).one()
    contact_id = db.scalars(select(Contact.id).where(Contact.name == contact)).one()
    helene.post(f"/console/verify/{number}/settle", {"contact": str(contact_id)})
    db.expire_all()
    assert db.scalars(select(Ticket.language)).one() == Language.EN


def test_the_sla_board_shows_each_open_ticket_and_reloads_itself(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    place_call(phone_app, at(2026, 12, 1, 10), press="6")
    # a sign-in lasts 8 hours: the supervisor signs in at the moment the board is read
    with time_machine.travel(at(2026, 12, 1, 16), tick=False):
        helene.sign_in(HELENE)
        page = helene.text("/console/sla")
        assert "en retard de 2 h 00" in page and '<tr class="late">' in page
    with time_machine.travel(at(2026, 12, 1, 13, 30), tick=False):
        helene.sign_in(HELENE)
        page = helene.text("/console/sla")
    assert '<script src="/console/static/sla.js" defer></script>' in page
    assert 'data-rows-url="/console/sla/rows" data-refresh-seconds="30"' in page
    assert 'href="/console/tickets/1001"' in page and '<tr class="at_risk">' in page
    assert "encore 30 min" in page
    # the regular line's 72-hour resolution aim, beside the callback promise
    assert '<td><span class="aim">ven. 4 déc., 10 h 00</span></td>' in page


def test_the_sla_board_puts_first_the_ticket_that_needs_action_now(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    # Regular tickets, due 4 business hours after each call (from 8:30 for an early call).
    late = the_ticket(db, place_call(phone_app, at(2026, 12, 1, 8, 45), press="6"))  # 12:45
    kept = the_ticket(db, place_call(phone_app, at(2026, 12, 1, 9), press="6"))  # 13:00
    missed = the_ticket(db, place_call(phone_app, at(2026, 12, 1, 9, 15), press="6"))  # 13:15
    at_risk = the_ticket(db, place_call(phone_app, at(2026, 12, 1, 10), press="6"))  # 14:00
    on_time = the_ticket(db, place_call(phone_app, at(2026, 12, 1, 11), press="6"))  # 15:00
    kept.first_response_at = at(2026, 12, 1, 10)
    missed.first_response_at = at(2026, 12, 1, 13, 20)
    db.commit()
    with time_machine.travel(at(2026, 12, 1, 13, 30), tick=False):
        helene.sign_in(HELENE)
        page = helene.text("/console/sla")
    shown = re.findall(r'<tr class="(\w+)">\s*<td><a href="/console/tickets/(\d+)"', page)
    assert shown == [
        ("at_risk", str(at_risk.number)),  # 30 minutes left: call now
        ("late", str(late.number)),  # still owed, past due
        ("on_time", str(on_time.number)),
        ("reached_on_time", str(kept.number)),  # promises kept or missed: nothing to do
        ("reached_late", str(missed.number)),
    ]


def test_the_sla_boards_rows_come_alone_for_its_script_and_only_to_supervisors(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    place_call(phone_app, at(2026, 12, 1, 10), press="7", techs=("accept",))
    with time_machine.travel(at(2026, 12, 4, 11), tick=False):
        helene.sign_in(HELENE)
        rows = helene.text("/console/sla/rows")
        luc = Staff(phone_app)
        luc.sign_in(LUC)
        refused = luc.get("/console/sla/rows").status_code
    assert rows.lstrip().startswith('<tr class="') and "<html" not in rows
    assert 'href="/console/tickets/1001"' in rows
    assert '<td><span class="aim none">aucun</span></td>' in rows  # urgent: no 72-hour aim
    assert refused == 403
    assert phone_app.test_client().get("/console/sla/rows").status_code == 302  # to sign in


def _counted(helene: Staff, db: Session, path: str) -> tuple[str, int]:
    with statements(db.get_bind()) as seen:
        text = helene.text(path)
    return text, len(seen)


def test_the_sla_board_and_its_rows_run_the_same_queries_for_1_or_5_tickets(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    place_call(phone_app, at(2026, 12, 1, 10), press="6")
    _page, few = _counted(helene, db, "/console/sla")
    _rows, few_rows = _counted(helene, db, "/console/sla/rows")
    for minute in (10, 20, 30, 40):
        place_call(phone_app, at(2026, 12, 1, 11, minute), press="7", techs=("accept",))
    page, many = _counted(helene, db, "/console/sla")
    rows, many_rows = _counted(helene, db, "/console/sla/rows")
    assert page.count('href="/console/tickets/') == rows.count('href="/console/tickets/') == 5
    assert 0 < many == few and 0 < many_rows == few_rows


def test_messages_to_verify_run_the_same_queries_for_1_or_3_messages(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    place_call(phone_app, at(2026, 12, 1, 10), caller=NADIA, press="6,1001#")
    with statements(db.get_bind()) as few:
        helene.text("/console/verify")
    for minute in (10, 20):
        place_call(phone_app, at(2026, 12, 1, 11, minute), caller=NADIA, press="6,1001#")
    with statements(db.get_bind()) as many:
        page = helene.text("/console/verify")
    assert page.count('/settle"') == 3
    assert 0 < len(many) == len(few)


def test_a_supervisor_sets_a_staff_members_password(
    phone_app: Flask, db: Session, helene: Staff
) -> None:
    luc_id = staff_id(db, LUC)
    helene.post(
        f"/console/staff/{luc_id}/password",
        {"password": "a brand new one", "confirm": "a brand new one"},
    )
    assert "Nouveau mot de passe pour Luc Gagnon." in helene.text("/console/staff")
    assert Staff(phone_app).sign_in(LUC, "a brand new one").status_code == 302
    helene.post(f"/console/staff/{luc_id}/password", {"password": "short", "confirm": "short"})
    assert "au moins 10 caractères" in helene.text("/console/staff")


def test_a_supervisor_who_changes_their_own_password_stays_signed_in(
    db: Session, helene: Staff
) -> None:
    mine = staff_id(db, HELENE)
    helene.post(
        f"/console/staff/{mine}/password",
        {"password": "my own new one", "confirm": "my own new one"},
    )
    assert "Nouveau mot de passe pour Hélène Bergeron." in helene.text("/console/staff")


@pytest.mark.parametrize(
    "query",
    [
        "?technician=99999999999999999999",
        "?after=9999-12-31T23:59:59-14:00_1",
        "?after=0001-01-01T00:00:00%2B14:00_1",
        "export.csv?technician=99999999999999999999",
    ],
)
def test_a_number_or_a_cursor_out_of_range_is_ignored_not_a_server_error(
    helene: Staff, query: str
) -> None:
    answer = helene.get(f"/console/calls/{query}")
    assert answer.status_code == 200
    answer.get_data()  # a streamed file is read to its end
