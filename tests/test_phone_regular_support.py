"""Regular support (option 6), as a caller hears it, and what it leaves behind."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    CallOutcome,
    Channel,
    Line,
    Recording,
    Ticket,
    TicketEventKind,
    TicketStatus,
)
from tests.phone import (
    EMILY,
    MAIN,
    MARIE,
    at,
    call_by_sid,
    event_kinds,
    place_call,
    queued,
    signed_post,
    the_call,
    the_ticket,
)

WELCOME = "Bienvenue au soutien technique d'AltiLogix."
MENU = [
    "For service in English, press 9.",
    "Pour le soutien régulier, faites le 6.",
    "Pour le soutien urgent, la CATA, faites le 7.",
    "Pour la réception, faites le 0.",
    "Pour réentendre ces choix, faites l'étoile.",
]
HOURS = (
    "Le soutien régulier est offert du lundi au vendredi, de 8 h 30 à 17 h, sauf les jours fériés."
)
CATA_OPEN = (
    "La CATA, notre soutien urgent, est ouverte en ce moment. Pour un problème urgent, faites le "
    "7. Sinon, restez en ligne pour laisser votre message au soutien régulier."
)


def test_on_a_weekday_morning_the_caller_gets_a_ticket_and_a_deadline(
    phone_app: Flask, db: Session
) -> None:
    call = place_call(phone_app, at(2026, 12, 1, 10, 15), press="6")
    assert call.heard() == [
        WELCOME,
        *MENU,
        "Nous avons ouvert le billet numéro 1 0 0 1.",
        "Après le bip, décrivez votre problème, puis faites le carré.",
        "Merci, votre message est enregistré.",
        "Votre numéro de billet est le 1 0 0 1.",
        "Un technicien vous rappellera au plus tard à 14 h 15.",
        "Au revoir.",
    ]


def test_the_ticket_number_is_said_again_with_the_promise_at_the_end(
    phone_app: Flask, db: Session
) -> None:
    heard = place_call(phone_app, at(2026, 12, 1, 10, 15), press="9,6").heard()
    assert heard[-3:] == [
        "Your ticket number is 1 0 0 1.",
        "A technician will call you back no later than 2:15 PM today.",
        "Goodbye.",
    ]


def test_the_ticket_is_regular_by_phone_in_the_callers_name(phone_app: Flask, db: Session) -> None:
    call = place_call(phone_app, at(2026, 12, 1, 10, 15), press="6")
    ticket = the_ticket(db, call)
    assert (ticket.number, ticket.priority, ticket.channel, ticket.status) == (
        1001,
        Line.REGULAR,
        Channel.PHONE,
        TicketStatus.OPEN,
    )
    assert ticket.contact_id is not None and ticket.requester == "+15145550101"
    assert ticket.sla_due_at == at(2026, 12, 1, 14, 15)
    assert [e.kind for e in ticket.events] == ["opened", "message"]
    queued(phone_app, db)  # the worker plans the follow-up
    db.refresh(ticket)
    assert [e.kind for e in ticket.events] == ["opened", "message", "follow_up_queued"]


def test_two_technicians_are_notified_now_and_the_deadline_is_watched(
    phone_app: Flask, db: Session
) -> None:
    ticket = the_ticket(db, place_call(phone_app, at(2026, 12, 1, 10, 15), press="6"))
    tasks = queued(phone_app, db)
    notify = tasks[f"ticket-{ticket.id}-notify"]
    assert notify.task == "ticket.notify"
    assert len(notify.args["staff_ids"]) == 2
    assert notify.run_at == at(2026, 12, 1, 10, 15)
    watch = tasks[f"ticket-{ticket.id}-sla-watch"]
    assert watch.run_at == at(2026, 12, 1, 13, 15)  # one business hour before the deadline


def test_the_call_log_has_the_whole_timeline(phone_app: Flask, db: Session) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10, 15), press="6")
    call = the_call(db, transcript)
    assert event_kinds(call) == [
        "arrived",
        "option_chosen",
        "ticket_opened",
        "message_recorded",
        "callback_queued",
        "promise_given",
        "hung_up",
    ]
    assert (call.status, call.outcome, call.duration_seconds) == ("completed", "message", 39)
    assert call.line == Line.REGULAR
    [recording] = db.scalars(select(Recording).where(Recording.call_id == call.id)).all()
    assert (recording.seconds, recording.ticket_id) == (12, call.ticket_id)
    assert call.language is not None and call.language.value == "fr"


def test_in_the_evening_the_caller_hears_the_hours_and_is_called_back_next_morning(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 18), press="6")
    heard = transcript.heard()
    assert heard[len(MENU) + 1 : len(MENU) + 3] == ["Nous sommes présentement fermés.", HOURS]
    assert "Un technicien vous rappellera au plus tard demain à 12 h 30." in heard
    ticket = the_ticket(db, transcript)
    assert queued(phone_app, db)[f"ticket-{ticket.id}-notify"].run_at == at(2026, 12, 2, 8, 30)
    assert the_call(db, transcript).outcome == "after_hours"


def test_a_saturday_message_is_due_monday_at_12_30(phone_app: Flask, db: Session) -> None:
    transcript = place_call(phone_app, at(2026, 11, 28, 10), press="6")
    assert "Un technicien vous rappellera au plus tard lundi 30 novembre à 12 h 30." in (
        transcript.heard()
    )
    assert the_ticket(db, transcript).sla_due_at == at(2026, 11, 30, 12, 30)


def test_on_june_24_the_caller_hears_the_holiday_by_name(phone_app: Flask, db: Session) -> None:
    transcript = place_call(phone_app, at(2026, 6, 24, 10), press="6")
    heard = transcript.heard()
    assert "Nous sommes fermés aujourd'hui pour la Fête nationale du Québec." in heard
    assert "Un technicien vous rappellera au plus tard demain à 12 h 30." in heard
    assert [e.data for e in the_call(db, transcript).events if e.kind == "closed"] == [
        {"reason": "holiday", "holiday": "fete_nationale"}
    ]


def test_on_the_day_daylight_saving_time_starts_the_deadline_is_monday_in_daylight_time(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2027, 3, 14, 10), press="6")
    due = the_ticket(db, transcript).sla_due_at
    assert due == at(2027, 3, 15, 12, 30)
    assert due is not None and due.utcoffset() == timedelta(0)  # stored in UTC: 16:30Z
    assert due.hour == 16


def test_a_returning_caller_can_add_a_message_to_the_open_ticket(
    phone_app: Flask, db: Session
) -> None:
    first = the_ticket(db, place_call(phone_app, at(2026, 12, 1, 10), press="6"))
    again = place_call(phone_app, at(2026, 12, 1, 11), press="6,1")
    assert (
        "Vous avez déjà un billet ouvert, le numéro 1 0 0 1. Pour ajouter un message à ce "
        "billet, faites le 1. Pour une nouvelle demande, faites le 2." in again.heard()
    )
    assert "Votre message a été ajouté au billet numéro 1 0 0 1." in again.heard()
    assert the_ticket(db, again).id == first.id
    db.refresh(first)
    assert [e.kind for e in first.events].count(TicketEventKind.MESSAGE) == 2
    assert any(key.startswith(f"ticket-{first.id}-addition-") for key in queued(phone_app, db))


def test_a_returning_caller_can_open_a_new_request(phone_app: Flask, db: Session) -> None:
    first = the_ticket(db, place_call(phone_app, at(2026, 12, 1, 10), press="6"))
    second = the_ticket(db, place_call(phone_app, at(2026, 12, 1, 11), press="6,2"))
    assert (first.number, second.number) == (1001, 1002)


def test_a_caller_with_several_open_tickets_is_offered_the_newest(
    phone_app: Flask, db: Session
) -> None:
    place_call(phone_app, at(2026, 12, 1, 10), press="6")
    place_call(phone_app, at(2026, 12, 1, 11), press="6,2")
    third = place_call(phone_app, at(2026, 12, 1, 12), press="6,1")
    assert (
        "Vous avez déjà un billet ouvert, le numéro 1 0 0 2. Pour ajouter un message à ce "
        "billet, faites le 1. Pour une nouvelle demande, faites le 2." in third.heard()
    )
    assert the_ticket(db, third).number == 1002


def test_a_stray_key_at_the_offer_of_the_open_ticket_repeats_the_offer(
    phone_app: Flask, db: Session
) -> None:
    first = the_ticket(db, place_call(phone_app, at(2026, 12, 1, 10), press="6"))
    again = place_call(phone_app, at(2026, 12, 1, 11), press="6,5,1")
    heard = again.heard()
    offer = heard.index("Ce choix n'est pas valide.")
    assert heard[offer - 1] == heard[offer + 1]  # the offer, again
    assert "Votre message a été ajouté au billet numéro 1 0 0 1." in heard
    assert the_ticket(db, again).id == first.id
    assert db.scalars(select(Ticket)).all() == [first]


def test_the_pound_key_at_the_offer_of_the_open_ticket_is_a_stray_key_too(
    phone_app: Flask, db: Session
) -> None:
    first = the_ticket(db, place_call(phone_app, at(2026, 12, 1, 10), press="6"))
    again = place_call(phone_app, at(2026, 12, 1, 11), press="6,#,1")
    assert "Ce choix n'est pas valide." in again.heard()
    assert the_ticket(db, again).id == first.id


def test_after_three_stray_keys_at_the_offer_the_request_is_taken_as_a_new_one(
    phone_app: Flask, db: Session
) -> None:
    place_call(phone_app, at(2026, 12, 1, 10), press="6")
    again = place_call(phone_app, at(2026, 12, 1, 11), press="6,5,8,3")
    assert again.heard().count("Ce choix n'est pas valide.") == 3
    assert "Nous avons ouvert le billet numéro 1 0 0 2." in again.heard()
    assert the_ticket(db, again).number == 1002


def test_a_caller_who_hangs_up_before_the_message_still_gets_a_callback(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), press="6", record_seconds=0)
    ticket = the_ticket(db, transcript)
    assert f"ticket-{ticket.id}-notify" in queued(phone_app, db)
    assert "Nous n'avons pas reçu de message." in transcript.heard()


def test_a_ticket_is_followed_up_even_if_the_calls_last_steps_never_arrive(
    phone_app: Flask, db: Session
) -> None:
    """The caller heard their ticket number, then the recording and status webhooks failed
    (Twilio does not retry a status callback): the ticket's own follow-up still runs."""
    call = {"CallSid": "CA" + "4" * 32, "From": MARIE, "To": MAIN}
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        signed_post(phone_app, "/voice/incoming", call)
        signed_post(phone_app, "/voice/regular", call)
    ticket = db.scalars(select(Ticket)).one()
    tasks = queued(phone_app, db)  # the worker runs the follow-ups written so far
    assert f"ticket-{ticket.id}-follow-up" not in tasks  # the call's end never came
    assert tasks[f"ticket-{ticket.id}-follow-up-safety-net"].run_at == at(2026, 12, 1, 10, 10)
    assert f"ticket-{ticket.id}-notify" in tasks


def test_a_caller_who_hangs_up_before_leaving_a_message_is_logged_as_abandoned(
    phone_app: Flask, db: Session
) -> None:
    call = {"CallSid": "CA" + "5" * 32, "From": MARIE, "To": MAIN}
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        signed_post(phone_app, "/voice/incoming", call)
        signed_post(phone_app, "/voice/regular", call)
        signed_post(phone_app, "/voice/status", {**call, "CallStatus": "completed"})
    assert call_by_sid(db, call["CallSid"]).outcome == CallOutcome.ABANDONED


def test_at_17_01_the_caller_hears_the_cata_is_open_then_leaves_a_regular_message(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 17, 1), press="6")
    assert transcript.heard()[len(MENU) + 1 :] == [
        "Nous sommes présentement fermés.",
        HOURS,
        CATA_OPEN,
        "Nous avons ouvert le billet numéro 1 0 0 1.",
        "Après le bip, décrivez votre problème, puis faites le carré.",
        "Merci, votre message est enregistré.",
        "Votre numéro de billet est le 1 0 0 1.",
        "Un technicien vous rappellera au plus tard demain à 12 h 30.",
        "Au revoir.",
    ]
    assert the_ticket(db, transcript).priority == Line.REGULAR


def test_the_cata_offer_is_in_english_for_an_english_caller(phone_app: Flask, db: Session) -> None:
    heard = place_call(phone_app, at(2026, 12, 1, 7, 30), caller=EMILY, press="6").heard()
    assert (
        "The CATA, our urgent support, is open now. For an urgent problem, press 7. Otherwise, "
        "stay on the line to leave your message for regular support." in heard
    )


def test_the_cata_key_at_the_offer_reaches_the_cata_with_an_urgent_ticket(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 17, 1), press="6,7", techs=("accept",))
    heard = transcript.heard()
    assert heard[heard.index(CATA_OPEN) + 1 :] == [
        "Nous avons ouvert le billet numéro 1 0 0 1.",
        "Nous joignons un technicien de garde. Veuillez patienter.",
    ]
    ticket = the_ticket(db, transcript)
    assert (ticket.priority, ticket.sla_due_at) == (Line.URGENT, at(2026, 12, 1, 18, 1))
    assert len(db.scalars(select(Ticket)).all()) == 1
    assert the_call(db, transcript).outcome == CallOutcome.CONNECTED


def test_another_key_at_the_cata_offer_leaves_the_regular_message_as_offered(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 17, 1), press="6,5")
    assert transcript.heard().count("Nous sommes présentement fermés.") == 1
    assert "Merci, votre message est enregistré." in transcript.heard()
    assert the_ticket(db, transcript).priority == Line.REGULAR


def test_a_caller_who_hangs_up_during_the_cata_offer_keeps_their_regular_request(
    phone_app: Flask, db: Session
) -> None:
    call = {"CallSid": "CA" + "6" * 32, "From": MARIE, "To": MAIN}
    with time_machine.travel(at(2026, 12, 1, 17, 1), tick=False):
        signed_post(phone_app, "/voice/incoming", call)
        offer = signed_post(phone_app, "/voice/regular", call)
        signed_post(phone_app, "/voice/status", {**call, "CallStatus": "completed"})
    assert "/voice/regular/cata" in offer.get_data(as_text=True)
    ticket = db.scalars(select(Ticket)).one()
    assert (ticket.priority, ticket.sla_due_at) == (Line.REGULAR, at(2026, 12, 2, 12, 30))


@pytest.mark.parametrize(
    "when",
    [at(2026, 12, 1, 20, 30), at(2026, 12, 5, 10), at(2026, 12, 25, 10), at(2026, 12, 1, 10)],
    ids=["evening", "saturday", "christmas", "regular open"],
)
def test_the_cata_is_offered_only_while_it_is_open_and_regular_support_is_closed(
    phone_app: Flask, db: Session, when: datetime
) -> None:
    transcript = place_call(phone_app, when, press="6")
    assert CATA_OPEN not in transcript.heard()
    assert the_ticket(db, transcript).priority == Line.REGULAR
