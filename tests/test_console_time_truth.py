"""The truth about time on the console: a client reached after the deadline shows late; every
callback attempt that reached nobody stays on the ticket; a call's timeline names who refused
the whisper, who did not answer, and why the voicemail answered."""

from __future__ import annotations

import re
from html import unescape

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import callbacks
from models import Call, StaffMember, Ticket, TicketEvent, TicketEventKind
from tests.console_world import HELENE, LUC, REACHED, signed_in, signed_in_at
from tests.phone import RecordingTwilioHttp, at, helpdesk, place_call, signed_post, the_call


def _deadline_line(page: str) -> str:
    return unescape(page.split("<dt>Échéance</dt>")[1].split("</dd>")[0])


def test_a_client_reached_two_days_late_shows_late_by_the_business_time_missed(
    desk: Flask,
) -> None:
    with signed_in_at(desk, LUC, at(2026, 12, 3, 10)) as luc:
        luc.post("/console/tickets/1001/called-back", REACHED)
        page = luc.text("/console/tickets/1001")
    # 14:00-17:00 on the 1st, 8:30-17:00 on the 2nd, 8:30-10:00 on the 3rd: 13 business hours
    assert "client joint en retard" in _deadline_line(page)
    first = unescape(page.split("<dt>Première réponse</dt>")[1].split("</dd>")[0])
    assert "après l'échéance, en retard de 13 h 00" in first
    assert "client joint (première réponse)" in page


def test_a_client_reached_in_time_shows_on_time(desk: Flask) -> None:
    with signed_in_at(desk, LUC, at(2026, 12, 1, 11)) as luc:
        luc.post("/console/tickets/1001/called-back", REACHED)
        page = luc.text("/console/tickets/1001")
    assert "client joint à temps" in _deadline_line(page)
    assert "après l'échéance" not in page


def _events(db: Session, ticket: Ticket, kind: TicketEventKind) -> list[TicketEvent]:
    db.expire_all()
    return list(
        db.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind)
        )
    )


def _callback(app: Flask, db: Session) -> tuple[Ticket, str]:
    ticket = db.scalars(select(Ticket).where(Ticket.number == 1001)).one()
    luc = db.scalars(select(StaffMember).where(StaffMember.email == LUC)).one()
    request = callbacks.request_callback(db, ticket, luc)
    db.commit()
    return ticket, f"?ticket={ticket.id}&staff={luc.id}&request={request.request_id}"


def test_a_twilio_callback_the_client_did_not_answer_says_so_on_the_ticket(
    desk: Flask, db: Session
) -> None:
    ticket, query = _callback(desk, db)
    signed_post(
        desk,
        f"/voice/callback/done{query}",
        {"CallSid": "CA" + "5" * 32, "DialCallStatus": "busy"},
    )
    [missed] = _events(db, ticket, TicketEventKind.CALLBACK_NOT_REACHED)
    assert missed.data == {"status": "busy"}
    page = signed_in(desk, LUC).text("/console/tickets/1001")
    assert "rappel : client non joint" in page and ": occupé" in page


def test_a_callback_the_technician_did_not_take_says_the_client_was_not_dialled(
    desk: Flask, db: Session
) -> None:
    ticket, query = _callback(desk, db)
    worker = helpdesk(desk).replace(twilio_http=RecordingTwilioHttp())
    callbacks.place_callback(worker, query.rpartition("request=")[2])  # Luc's mobile rings
    signed_post(
        desk,
        f"/voice/callback/status{query}",
        {"CallSid": "CA" + "6" * 32, "CallStatus": "no-answer"},
    )
    [missed] = _events(db, ticket, TicketEventKind.CALLBACK_NOT_REACHED)
    assert missed.data == {"status": "no-answer", "technician": True}
    page = unescape(signed_in(desk, LUC).text("/console/tickets/1001"))
    assert "le technicien n'a pas pris l'appel : le client n'a pas été composé" in page


def _timeline(desk: Flask, call: Call) -> str:
    page = signed_in(desk, HELENE).text(f"/console/calls/{call.id}")
    return unescape(page.split('<ol class="timeline">')[1].split("</ol>")[0])


def test_the_timeline_names_who_refused_and_whose_voicemail_took_the_whisper(
    desk: Flask, db: Session
) -> None:
    call = the_call(
        db, place_call(desk, at(2026, 12, 1, 10, 5), press="7", techs=("refuse", "voicemail"))
    )
    timeline = _timeline(desk, call)
    assert "technicien a refusé — refusé par Luc Gagnon" in timeline
    assert "aucune touche du technicien — Sophie Lavoie (sa boîte vocale, ou pas de réponse)" in (
        timeline
    )
    assert "a refusé — Sophie" not in timeline


def test_the_rung_list_tells_a_refusal_from_a_whisper_left_without_a_key(
    desk: Flask, db: Session
) -> None:
    call = the_call(
        db, place_call(desk, at(2026, 12, 1, 10, 5), press="7", techs=("refuse", "voicemail"))
    )
    page = unescape(signed_in(desk, HELENE).text(f"/console/calls/{call.id}"))
    rungs = page.split('<table class="rings">')[1].split("</table>")[0]
    assert re.search(r"Luc Gagnon</td><td>[^<]*</td>\s*<td>refusé</td>", rungs)
    assert re.search(
        r"Sophie Lavoie</td><td>[^<]*</td>\s*<td>aucune touche \(sa boîte vocale, ou pas", rungs
    )


def test_the_timeline_names_who_did_not_answer(desk: Flask, db: Session) -> None:
    call = the_call(
        db, place_call(desk, at(2026, 12, 1, 10, 5), press="7", techs=("refuse", "ring", "ring"))
    )
    timeline = _timeline(desk, call)
    assert "personne n'a répondu — sans réponse : Sophie Lavoie, Karim Haddad" in timeline


def test_the_timeline_says_why_the_general_voicemail_answered(desk: Flask, db: Session) -> None:
    call = the_call(db, place_call(desk, at(2026, 12, 1, 10, 5), press="0"))
    assert "boîte vocale générale : la réception" in _timeline(desk, call)
