"""Technicians' pages: the work list, the ticket page, and each act through its service."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import create_app
from helpdesk import tickets
from models import CallbackRequest, Line, OutboxTask, Ticket, TicketEventKind, TicketStatus
from tests.conftest import app_config
from tests.console_world import (
    CONFIRMED,
    DAVID,
    JULIE,
    KARIM,
    LUC,
    REACHED,
    signed_in,
    signed_in_at,
    staff_id,
)
from tests.counting import statements
from tests.phone import at, place_call


def _ticket(db: Session, number: int = 1001) -> Ticket:
    db.expire_all()
    return db.scalars(select(Ticket).where(Ticket.number == number)).one()


def _kinds(ticket: Ticket) -> list[str]:
    return [event.kind.value for event in ticket.events]


def test_the_work_list_shows_the_unassigned_tickets_of_my_lines(desk: Flask) -> None:
    assert 'href="/console/tickets/1001"' in signed_in(desk, LUC).text("/console/")
    assert 'href="/console/tickets/1001"' in signed_in(desk, JULIE).text("/console/")
    assert "1001" not in signed_in(desk, KARIM).text("/console/")  # urgent line only


def test_the_work_list_puts_callbacks_owed_before_a_ticket_whose_client_was_reached(
    desk: Flask, db: Session
) -> None:
    place_call(desk, at(2026, 12, 1, 11), press="6", caller="+15145550121")  # due 15:00
    with time_machine.travel(at(2026, 12, 1, 10, 30), tick=False):
        _ticket(db).first_response_at = at(2026, 12, 1, 10, 30)  # 1001 due 14:00, reached
        db.commit()
    with time_machine.travel(at(2026, 12, 1, 11, 15), tick=False):
        page = signed_in(desk, LUC).text("/console/")
    assert page.index("/console/tickets/1002") < page.index("/console/tickets/1001")


def test_a_ticket_the_clients_email_reopened_is_flagged_in_the_work_list(
    desk: Flask, db: Session
) -> None:
    with time_machine.travel(at(2026, 12, 1, 11), tick=False):
        ticket = _ticket(db)
        tickets.resolve(ticket, None, reopen_within=timedelta(days=14))
        tickets.reopen(ticket, None, email_from="marie.tremblay@boulangerie.example")
        db.commit()
        page = signed_in(desk, LUC).text("/console/")
    assert re.search(
        r'/console/tickets/1001">1001</a>[^<]*<span class="standing reopened">rouvert', page
    )


def test_a_taken_ticket_leaves_the_others_lists(desk: Flask, db: Session) -> None:
    luc = signed_in(desk, LUC)
    luc.post("/console/tickets/1001/take")
    assert _ticket(db).assignee_id == staff_id(db, LUC)
    assert "1001" in luc.text("/console/")
    assert "1001" not in signed_in(desk, JULIE).text("/console/")


def test_the_work_list_is_sorted_by_deadline_with_business_time_left(
    desk: Flask, db: Session
) -> None:
    place_call(desk, at(2026, 12, 1, 10, 30), press="7", techs=("ignore",) * 3)
    with time_machine.travel(at(2026, 12, 1, 10, 45), tick=False):
        page = signed_in(desk, LUC).text("/console/")
    # the urgent ticket (due 11:30) comes before the regular one (due 14:00)
    assert page.index("/console/tickets/1002") < page.index("/console/tickets/1001")
    assert "mar. 1 déc., 14 h 00" in page
    assert "encore 3 h 15" in page  # business time left, in Luc's French
    assert "encore 45 min" in page


def test_a_technician_opens_only_tickets_of_their_lines_or_their_own(
    desk: Flask, db: Session
) -> None:
    karim = signed_in(desk, KARIM)
    assert karim.get("/console/tickets/1001").status_code == 403
    ticket = _ticket(db)
    ticket.assignee_id = staff_id(db, KARIM)
    db.commit()
    assert karim.get("/console/tickets/1001").status_code == 200
    assert karim.get("/console/tickets/999").status_code == 404


def test_the_ticket_page_shows_the_parties_the_deadline_and_the_whole_history(
    desk: Flask,
) -> None:
    page = signed_in(desk, LUC).text("/console/tickets/1001")
    for expected in (
        "Boulangerie Saint-Denis (1001)",
        "Marie Tremblay — français",
        '<a class="tel" href="tel:+15145550101">(514) 555-0101</a>',
        '<a class="tel" href="tel:+14385550102">(438) 555-0102</a>',
        "mar. 1 déc.",  # the deadline, with its weekday (and the year, another year)
        "(le message est en cours de copie depuis Twilio)",  # played once copied: test_recordings
        "appel reçu",  # the call's timeline
        "message enregistré",
    ):
        assert expected in page, expected


def test_without_twilio_credentials_the_ticket_says_the_message_will_not_be_copied(
    desk: Flask, engine_url: str
) -> None:
    developer_machine = create_app(app_config(engine_url, TWILIO_ACCOUNT_SID=""))
    page = signed_in(developer_machine, LUC).text("/console/tickets/1001")
    assert "non copié : ce serveur n'a pas les accès de Twilio" in unescape(page)
    assert "en cours de copie" not in page


def test_notes_are_public_or_private_and_escaped(desk: Flask, db: Session) -> None:
    luc = signed_in(desk, LUC)
    luc.post("/console/tickets/1001/notes", {"text": "<b>Sage 50</b> reinstalled"})
    luc.post("/console/tickets/1001/notes", {"text": "Client told", "visibility": "public"})
    notes = [e.data for e in _ticket(db).events if e.kind == TicketEventKind.NOTE]
    assert [(n["text"], n["public"]) for n in notes] == [
        ("<b>Sage 50</b> reinstalled", False),
        ("Client told", True),
    ]
    page = luc.text("/console/tickets/1001")
    assert "&lt;b&gt;Sage 50&lt;/b&gt; reinstalled" in page and "<b>Sage" not in page


def test_an_empty_note_is_refused_with_the_services_reason(desk: Flask, db: Session) -> None:
    luc = signed_in(desk, LUC)
    answer = luc.post("/console/tickets/1001/notes", {"text": "   "})
    assert answer.headers["Location"] == "/console/tickets/1001"
    assert "Refusé : une note doit contenir du texte" in luc.text("/console/tickets/1001")
    assert TicketEventKind.NOTE.value not in _kinds(_ticket(db))


def test_a_change_of_priority_needs_a_reason_and_moves_the_deadline(
    desk: Flask, db: Session
) -> None:
    before = _ticket(db).sla_due_at  # 14:00, 4 business hours after the call at 10:00
    with signed_in_at(desk, LUC, at(2026, 12, 1, 10, 15)) as luc:
        luc.post("/console/tickets/1001/priority", {"priority": "urgent", "reason": ""})
        assert _ticket(db).priority == Line.REGULAR
        luc.post("/console/tickets/1001/priority", {"priority": "urgent", "reason": "payroll"})
        ticket = _ticket(db)
        # made urgent at 10:15: the CATA's hour from then, sooner than 14:00
        assert ticket.priority == Line.URGENT and ticket.sla_due_at == at(2026, 12, 1, 11, 15)
        assert before is not None and ticket.sla_due_at < before
        assert luc.post("/console/tickets/1001/priority", {"priority": "x"}).status_code == 400


def test_i_called_back_from_my_own_phone_is_the_first_response(desk: Flask, db: Session) -> None:
    luc = signed_in(desk, LUC)
    luc.post("/console/tickets/1001/called-back", REACHED)
    ticket = _ticket(db)
    assert ticket.first_response_at is not None
    assert TicketEventKind.FIRST_RESPONSE.value in _kinds(ticket)


def test_a_callback_from_my_own_phone_is_an_intervention_the_client_is_told_of(
    desk: Flask, db: Session
) -> None:
    luc = signed_in(desk, LUC)
    luc.post("/console/tickets/1001/called-back", REACHED)
    ticket = _ticket(db)
    assert TicketEventKind.CALLBACK_MADE.value in _kinds(ticket)
    notices = db.scalars(select(OutboxTask).where(OutboxTask.task == "ticket.notify_contact"))
    assert [row.args["kind"] for row in notices] == ["callback"]


def test_resolving_asks_first_showing_what_the_client_reads_then_keeps_it(
    desk: Flask, db: Session
) -> None:
    luc = signed_in(desk, LUC)
    words = {"summary": "Licence Sage 50 réactivée."}
    asked = unescape(luc.post("/console/tickets/1001/resolve", words).get_data(as_text=True))
    assert "Le client lira : Licence Sage 50 réactivée." in asked
    luc.post("/console/tickets/1001/resolve", {**words, **CONFIRMED})
    resolved = [e for e in _ticket(db).events if e.kind == TicketEventKind.RESOLVED]
    assert [e.data.get("summary") for e in resolved] == ["Licence Sage 50 réactivée."]


def test_call_back_now_queues_a_callback_for_my_mobile(desk: Flask, db: Session) -> None:
    signed_in(desk, LUC).post("/console/tickets/1001/call-back")
    request = db.scalars(select(CallbackRequest)).one()
    assert request.staff_member_id == staff_id(db, LUC)


def test_call_back_now_says_my_mobile_will_ring_when_twilio_places_calls(desk: Flask) -> None:
    luc = signed_in(desk, LUC)
    luc.post("/console/tickets/1001/call-back")
    shown = unescape(luc.text("/console/tickets/1001"))
    assert "Rappel planifié : votre cellulaire va sonner, appuyez sur 1." in shown


def test_call_back_now_without_twilio_says_no_phone_will_ring(desk: Flask, engine_url: str) -> None:
    developer_machine = create_app(app_config(engine_url, TWILIO_ACCOUNT_SID=""))
    david = signed_in(developer_machine, DAVID)  # a supervisor, who reads English
    david.post("/console/tickets/1001/call-back")
    shown = unescape(david.text("/console/tickets/1001"))
    assert "Callback logged only: no Twilio account is set up, so no phone will ring." in shown
    assert "your mobile will ring" not in shown


def test_a_note_too_long_is_refused_whole_not_cut(desk: Flask, db: Session) -> None:
    luc = signed_in(desk, LUC)
    page = luc.text("/console/tickets/1001")
    assert '<textarea name="text" rows="3" maxlength="10000" required>' in page
    luc.post("/console/tickets/1001/notes", {"text": "x" * 10_001})
    assert "Refusé : une note compte au plus 10000 caractères" in luc.text("/console/tickets/1001")
    assert "note" not in _kinds(_ticket(db))


def test_resolve_close_and_reopen(desk: Flask, db: Session) -> None:
    luc = signed_in(desk, LUC)
    luc.post("/console/tickets/1001/resolve", CONFIRMED)
    assert _ticket(db).status == TicketStatus.RESOLVED
    luc.post("/console/tickets/1001/close", CONFIRMED)
    assert _ticket(db).status == TicketStatus.CLOSED
    luc.post("/console/tickets/1001/close", CONFIRMED)
    assert "Refusé : le billet 1001 est fermé : il ne peut pas être fermé" in luc.text(
        "/console/tickets/1001"
    )
    luc.post("/console/tickets/1001/reopen", {"why": "the error came back"})
    ticket = _ticket(db)
    assert ticket.status == TicketStatus.OPEN
    assert ticket.events[-1].data == {"why": "the error came back"}


def test_a_ticket_closed_before_the_client_was_reached_shows_no_running_clock(
    desk: Flask,
) -> None:
    with signed_in_at(desk, LUC, at(2026, 12, 1, 10, 30)) as luc:
        luc.post("/console/tickets/1001/close", CONFIRMED)
        page = unescape(luc.text("/console/tickets/1001"))
    deadline = page.split("<dt>Échéance</dt><dd>")[1].split("</dd>")[0]
    assert "réglé sans que le client soit joint" in deadline
    assert 'class="left"' not in deadline


def test_a_ticket_closed_unreached_before_its_deadline_is_never_late_after_it(
    desk: Flask,
) -> None:
    with signed_in_at(desk, LUC, at(2026, 12, 1, 10, 30)) as luc:  # due at 14:00
        luc.post("/console/tickets/1001/close", CONFIRMED)
    with signed_in_at(desk, LUC, at(2026, 12, 2, 9)) as luc:
        page = unescape(luc.text("/console/tickets/1001"))
        listed = unescape(luc.text("/console/tickets/?status=closed"))
    deadline = page.split("<dt>Échéance</dt><dd>")[1].split("</dd>")[0]
    assert "réglé sans que le client soit joint" in deadline
    assert 'href="/console/tickets/1001"' in listed and "en retard" not in listed


def test_a_ticket_closed_unreached_after_its_deadline_stays_late(desk: Flask) -> None:
    with signed_in_at(desk, LUC, at(2026, 12, 1, 15)) as luc:  # due at 14:00
        luc.post("/console/tickets/1001/close", CONFIRMED)
        page = unescape(luc.text("/console/tickets/1001"))
    deadline = page.split("<dt>Échéance</dt><dd>")[1].split("</dd>")[0]
    assert 'class="standing late"' in deadline
    assert 'class="left"' not in deadline


def test_a_ticket_reopened_by_the_clients_email_says_so_in_the_readers_language(
    desk: Flask, db: Session
) -> None:
    luc = signed_in(desk, LUC)
    luc.post("/console/tickets/1001/resolve", CONFIRMED)
    ticket = _ticket(db)
    tickets.reopen(ticket, None, email_from="marie.tremblay@boulangerie.example")
    db.commit()
    page = unescape(luc.text("/console/tickets/1001"))
    assert "un courriel de marie.tremblay@boulangerie.example" in page
    assert "email from marie" not in page


def test_the_work_list_runs_the_same_queries_for_2_or_6_tickets(desk: Flask, db: Session) -> None:
    luc = signed_in(desk, LUC)
    place_call(desk, at(2026, 12, 1, 10, 10), press="6", caller="+15145550121")
    with statements(db.get_bind()) as few:
        luc.text("/console/")
    for minute in (20, 30, 40, 50):
        place_call(desk, at(2026, 12, 1, 11, minute), press="6", caller="+15145550121")
    with statements(db.get_bind()) as many:
        page = luc.text("/console/")
    assert page.count('href="/console/tickets/') == 6
    assert 0 < len(many) == len(few)
