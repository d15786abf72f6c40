"""The CATA, urgent support: screened forwarding to the team on call, or a message."""

from __future__ import annotations

import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Call, CallRing, Line, StaffMember
from tests.phone import (
    CATA,
    MARIE,
    at,
    event_kinds,
    place_call,
    queued,
    signed_post,
    the_call,
    the_ticket,
)

WHISPER = (
    "Appel urgent de la CATA. Client Boulangerie Saint-Denis. Contact Marie Tremblay. "
    "Billet numéro 1 0 0 1. Pour accepter l'appel, faites le 1."
)


def _staff_id(db: Session, name: str) -> int:
    return next(m.id for m in db.query(StaffMember) if m.name == name)


def test_the_cata_number_goes_straight_to_urgent_support(phone_app: Flask, db: Session) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), to=CATA, techs=("accept",))
    assert transcript.heard()[:3] == [
        "Vous êtes à la CATA, le soutien urgent d'AltiLogix.",
        "Nous avons ouvert le billet numéro 1 0 0 1.",
        "Nous joignons un technicien de garde. Veuillez patienter.",
    ]
    assert the_ticket(db, transcript).priority == Line.URGENT


def test_three_on_call_members_are_rung_at_once_with_a_whisper(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), press="7", techs=("refuse", "accept"))
    rung = [e.text for e in transcript.entries if e.kind == "ring"]
    assert rung == ["+15145550171 (refuse)", "+15145550172 (accept)", "+15145550173 (ring)"]
    assert transcript.said_to_technicians()[0] == WHISPER
    dial = next(d for d in transcript.documents if "<Dial" in d)
    assert 'answerOnBridge="true"' in dial and 'timeout="20"' in dial
    assert 'callerId="+15149826161"' in dial


def test_the_technician_who_presses_1_is_connected_and_assigned(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), press="7", techs=("refuse", "accept"))
    sophie = _staff_id(db, "Sophie Lavoie")
    ticket = the_ticket(db, transcript)
    call = the_call(db, transcript)
    assert ticket.assignee_id == sophie
    assert ticket.first_response_at == at(2026, 12, 1, 10)
    assert call.outcome == "connected"
    assert [e.data for e in call.events if e.kind == "connected"] == [{"staff_id": sophie}]
    assert "whisper_refused" in event_kinds(call) and "whisper_accepted" in event_kinds(call)
    assert f"ticket-{ticket.id}-notify" not in queued(
        phone_app, db
    )  # nobody is paged: it was answered


def test_when_nobody_accepts_the_caller_leaves_a_message_and_hears_the_one_hour_promise(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), press="7")
    assert transcript.heard()[-6:] == [
        "Aucun technicien n'a pu prendre votre appel.",
        "Après le bip, décrivez votre problème urgent, puis faites le carré.",
        "Merci, votre message est enregistré.",
        "Votre numéro de billet est le 1 0 0 1.",
        "Un membre de l'équipe vous rappellera dans l'heure ouvrable, au plus tard à 11 h.",
        "Au revoir.",
    ]


def test_a_message_left_at_the_closed_cata_ends_with_the_ticket_number_and_the_promise(
    phone_app: Flask, db: Session
) -> None:
    heard = place_call(phone_app, at(2026, 12, 1, 21), to=CATA).heard()
    assert heard.count("Nous avons ouvert le billet numéro 1 0 0 1.") == 1  # before the beep
    assert heard[-3:] == [
        "Votre numéro de billet est le 1 0 0 1.",
        "Un membre de l'équipe vous rappellera dans l'heure ouvrable, au plus tard demain à 8 h.",
        "Au revoir.",
    ]


def test_when_nobody_accepts_all_three_are_paged_and_supervisors_escalated(
    phone_app: Flask, db: Session
) -> None:
    ticket = the_ticket(db, place_call(phone_app, at(2026, 12, 1, 10), press="7"))
    tasks = queued(phone_app, db)
    notify = tasks[f"ticket-{ticket.id}-notify"]
    assert len(notify.args["staff_ids"]) == 3 and notify.run_at == at(2026, 12, 1, 10)
    assert tasks[f"ticket-{ticket.id}-escalate"].run_at == at(2026, 12, 1, 10, 20)
    assert tasks[f"ticket-{ticket.id}-sla-watch"].run_at == at(2026, 12, 1, 10, 45)


def test_a_voicemail_that_answers_cannot_take_the_call(phone_app: Flask, db: Session) -> None:
    transcript = place_call(
        phone_app, at(2026, 12, 1, 10), press="7", techs=("voicemail", "voicemail", "voicemail")
    )
    call = the_call(db, transcript)
    assert call.outcome != "connected"
    assert the_ticket(db, transcript).assignee_id is None
    assert "Aucun technicien n'a pu prendre votre appel." in transcript.heard()
    no_answer = [e.data for e in call.events if e.kind == "no_answer"]
    assert no_answer == [{"dial_status": "completed", "accepted": 0}]


def test_the_cata_is_open_at_19_59(phone_app: Flask, db: Session) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 19, 59), to=CATA, techs=("accept",))
    assert the_call(db, transcript).outcome == "connected"


def test_at_20_00_the_cata_is_closed_and_says_its_hours(phone_app: Flask, db: Session) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 20), to=CATA)
    heard = transcript.heard()
    assert heard[1:3] == [
        "Nous sommes présentement fermés.",
        "La CATA, notre centre d'assistance technique urgente, est ouverte du lundi au "
        "vendredi, de 7 h à 20 h, sauf les jours fériés.",
    ]
    assert not any(e.kind == "ring" for e in transcript.entries)
    assert (
        "Un membre de l'équipe vous rappellera dans l'heure ouvrable, au plus tard demain à 8 h."
        in heard
    )


def test_after_hours_pages_go_out_at_the_opening_not_at_night(
    phone_app: Flask, db: Session
) -> None:
    ticket = the_ticket(db, place_call(phone_app, at(2026, 12, 1, 22), to=CATA))
    assert ticket.priority == Line.URGENT and ticket.sla_due_at == at(2026, 12, 2, 8)
    assert queued(phone_app, db)[f"ticket-{ticket.id}-notify"].run_at == at(2026, 12, 2, 7)


def test_on_a_weekend_the_cata_takes_a_message_for_monday(phone_app: Flask, db: Session) -> None:
    ticket = the_ticket(db, place_call(phone_app, at(2026, 11, 28, 14), to=CATA))
    assert ticket.sla_due_at == at(2026, 11, 30, 8)


def test_a_technician_who_answers_and_ignores_the_whisper_is_not_connected(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), press="7", techs=("ignore", "accept"))
    call = the_call(db, transcript)
    assert [e.data["staff_id"] for e in call.events if e.kind == "whisper_refused"] == [
        _staff_id(db, "Luc Gagnon")
    ]
    assert the_ticket(db, transcript).assignee_id == _staff_id(db, "Sophie Lavoie")


def test_a_whisper_answer_from_someone_who_was_not_rung_connects_nobody(
    phone_app: Flask, db: Session
) -> None:
    sid = "CA" + "7" * 32
    call = {"CallSid": sid, "From": MARIE, "To": CATA}
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        signed_post(phone_app, "/voice/incoming", call)
        signed_post(phone_app, "/voice/urgent", call)
        rung = set(db.scalars(select(CallRing.staff_member_id)))
        stranger = db.scalars(select(StaffMember.id).where(StaffMember.id.not_in(rung))).first()
        assert stranger is not None
        leg = {"CallSid": "CA" + "6" * 32, "Digits": "1"}
        response = signed_post(
            phone_app, f"/voice/whisper/answer?staff={stranger}&parent={sid}", leg
        )
    assert "<Hangup" in response.get_data(as_text=True)
    db.expire_all()
    assert "whisper_accepted" not in event_kinds(db.scalars(select(Call)).one())
    assert all(ring.answer is None for ring in db.scalars(select(CallRing)))
