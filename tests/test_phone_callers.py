"""Who is calling, in which language, and what the menu does with silence and wrong keys."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import create_app
from directory import entries, sync
from models import Contact, Language, Line
from tests.conftest import DEMO_DIRECTORY, app_config
from tests.phone import (
    EMILY,
    MARIE,
    NADIA,
    STRANGER,
    at,
    event_kinds,
    place_call,
    queued,
    the_call,
    the_ticket,
)

UNAUTHORIZED = (
    "Seules les personnes désignées par votre entreprise, quatre au maximum, peuvent ouvrir une "
    "demande de soutien. Vous pouvez laisser un message après le bip; un superviseur le vérifiera."
)
NOT_IDENTIFIED = (
    "Nous n'avons pas pu vous reconnaître comme l'une des personnes désignées par votre "
    "entreprise. Laissez votre message après le bip; un superviseur le vérifiera et, dès que "
    "votre identité sera confirmée, nous vous rappellerons."
)
NO_INPUT = "Nous n'avons pas reçu votre choix."
INVALID = "Ce choix n'est pas valide."
VOICEMAIL = "Laissez votre message après le bip, puis faites le carré ou raccrochez."
TRY_AGAIN = (
    "Vous pouvez essayer de nouveau. Après le bip, laissez votre message, puis faites le carré."
)


def test_an_anonymous_caller_is_asked_for_the_account_number(phone_app: Flask, db: Session) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), caller="anonymous", press="-,6,1001#")
    heard = transcript.heard()
    assert "Veuillez entrer le numéro de compte de votre entreprise, suivi du carré." in heard
    assert NOT_IDENTIFIED in heard
    assert heard[-2:] == ["Merci. Un membre de notre équipe vérifiera votre message.", "Au revoir."]


def test_an_unknown_caller_hears_the_english_offer_once_before_the_menu(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), caller="anonymous", press="-,6,1001#")
    assert transcript.heard().count("For service in English, press 9.") == 1


def test_the_english_key_still_works_in_the_menu_after_the_offer(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), caller="anonymous", press="-,9")
    assert "For regular support, press 6." in transcript.heard()


def test_an_unknown_callers_call_keeps_the_line_they_asked_for(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), caller="anonymous", press="-,6,1001#")
    call = the_call(db, transcript)
    assert (call.line, call.account_given) == (Line.REGULAR, "1001")


def test_an_unauthorized_message_is_a_ticket_to_verify_with_no_promise_and_no_page(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), caller="anonymous", press="-,6,1001#")
    ticket = the_ticket(db, transcript)
    assert ticket.to_verify and ticket.sla_due_at is None
    assert ticket.client_id is not None  # account 1001 was recognized
    assert not any("rappellera" in line for line in transcript.heard())
    tasks = [row.task for row in queued(phone_app, db).values()]
    assert tasks == ["ticket.verify", "recording.copy"]  # nobody paged; the message is kept
    assert the_call(db, transcript).outcome == "unauthorized"


def test_a_caller_of_a_known_account_who_cannot_be_identified_is_not_told_they_are_unauthorized(
    phone_app: Flask, db: Session
) -> None:
    """Marie calling from a hidden number may well be designated: the line could not tell."""
    heard = place_call(
        phone_app, at(2026, 12, 1, 10), caller="anonymous", press="-,6,1001#"
    ).heard()
    assert UNAUTHORIZED not in heard
    assert heard[-3:] == [
        NOT_IDENTIFIED,
        "Merci. Un membre de notre équipe vérifiera votre message.",
        "Au revoir.",
    ]


def test_a_caller_who_cannot_be_identified_hears_it_in_english_too(
    phone_app: Flask, db: Session
) -> None:
    heard = place_call(
        phone_app, at(2026, 12, 1, 10), caller="anonymous", press="9,6,1001#"
    ).heard()
    assert (
        "We could not identify you as one of the people your company has designated. Please "
        "leave your message after the beep; a supervisor will review it and, once your identity "
        "is confirmed, we will call you back." in heard
    )


def test_a_known_contact_who_is_not_designated_is_told_only_designated_people_may_ask(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), caller=NADIA, press="-,7,1001#")
    assert UNAUTHORIZED in transcript.heard()
    assert NOT_IDENTIFIED not in transcript.heard()
    assert the_ticket(db, transcript).to_verify
    assert not any(e.kind == "ring" for e in transcript.entries)


def test_an_unknown_account_number_is_offered_a_message_a_supervisor_will_review(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(
        phone_app, at(2026, 12, 1, 10), caller="+15145550199", press="-,6,9999#"
    )
    assert (
        "Nous ne trouvons pas ce numéro de compte. Vous pouvez laisser un message après le bip; "
        "un superviseur le vérifiera." in transcript.heard()
    )
    ticket = the_ticket(db, transcript)
    assert ticket.to_verify and ticket.client_id is None


def test_a_caller_who_keys_no_account_number_is_not_told_it_is_unknown(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), caller="+15145550199", press="-,6,-,-")
    heard = transcript.heard()
    assert not any("Nous ne trouvons pas ce numéro de compte" in line for line in heard)
    assert (
        "Nous n'avons reçu aucun numéro de compte. Vous pouvez laisser un message après le bip; "
        "un superviseur le vérifiera." in heard
    )
    assert the_ticket(db, transcript).to_verify


def test_silence_at_the_account_prompt_is_answered_about_the_account_number(
    phone_app: Flask, db: Session
) -> None:
    heard = place_call(phone_app, at(2026, 12, 1, 10), caller=STRANGER, press="-,6,-,1001#").heard()
    prompt = "Veuillez entrer le numéro de compte de votre entreprise, suivi du carré."
    first = heard.index(prompt)
    assert heard[first + 1 : first + 3] == ["Nous n'avons pas reçu votre numéro de compte.", prompt]
    assert NO_INPUT not in heard


def test_silence_at_the_account_prompt_is_answered_in_english_too(
    phone_app: Flask, db: Session
) -> None:
    heard = place_call(phone_app, at(2026, 12, 1, 10), caller=STRANGER, press="9,6,-,-").heard()
    assert "We did not receive your account number." in heard
    assert "We did not receive your choice." not in heard


def test_unusable_caller_ids_are_unknown_callers(phone_app: Flask, db: Session) -> None:
    for caller in ("restricted", "+266696687", "client:alice", "sip:bob@example.com", "12", ""):
        transcript = place_call(phone_app, at(2026, 12, 1, 10), caller=caller, press="-,6,-,-")
        assert the_call(db, transcript).contact_id is None, caller
        assert UNAUTHORIZED not in transcript.heard()
        assert "Veuillez entrer le numéro de compte de votre entreprise, suivi du carré." in (
            transcript.heard()
        )


def test_an_english_contact_hears_english_without_being_asked(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), caller=EMILY, press="6")
    heard = transcript.heard()
    assert heard[:2] == [
        "Welcome to AltiLogix technical support.",
        "Pour le service en français, faites le 9.",
    ]
    assert "A technician will call you back no later than 2 PM today." in heard
    languages = {e.language for e in transcript.entries if e.kind == "heard"}
    assert languages == {"en-CA", "fr-CA"}


def test_an_unknown_caller_can_choose_english_with_one_key(phone_app: Flask, db: Session) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), caller="+15145550199", press="9,-,-,-")
    assert "For regular support, press 6." in transcript.heard()
    assert the_call(db, transcript).language == Language.EN


def test_english_chosen_for_one_call_leaves_the_contacts_language_alone(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 2, 10), caller=MARIE, press="9,6")
    marie = db.scalars(select(Contact).where(Contact.name == "Marie Tremblay")).one()
    db.refresh(marie)
    assert marie.language == Language.FR
    assert "A technician will call you back no later than 2 PM today." in transcript.heard()
    assert (the_call(db, transcript).language, the_ticket(db, transcript).language) == (
        Language.EN,
        Language.EN,
    )
    again = place_call(phone_app, at(2026, 12, 2, 11), caller=MARIE, press="6")
    assert again.heard()[0] == "Bienvenue au soutien technique d'AltiLogix."


def test_saying_urgence_reaches_the_cata(phone_app: Flask, db: Session) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), press="say:Urgence, s'il vous plaît")
    assert "Nous joignons un technicien de garde. Veuillez patienter." in transcript.heard()


def test_a_silent_caller_hears_the_menu_three_times_then_the_voicemail(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(
        phone_app, at(2026, 12, 1, 10), caller=STRANGER, press="-,-,-,-", record_seconds=0
    )
    heard = transcript.heard()
    assert heard.count("Pour le soutien régulier, faites le 6.") == 3
    assert heard.count(NO_INPUT) == 3
    assert heard[-7:] == [
        NO_INPUT,
        "Nous allons prendre votre message.",
        VOICEMAIL,
        "Nous n'avons pas reçu de message.",
        TRY_AGAIN,
        "Nous n'avons pas reçu de message.",
        "Au revoir.",
    ]
    assert transcript.entries[-2].text == "the app hangs up"


def test_a_caller_whose_words_are_never_understood_reaches_the_voicemail_too(
    phone_app: Flask, db: Session
) -> None:
    # Twilio posts the menu's action with an empty SpeechResult: as silent as a timeout.
    unheard = ",".join(["say:"] * 6)
    transcript = place_call(
        phone_app, at(2026, 12, 1, 10), caller=STRANGER, press=f"-,{unheard}", record_seconds=0
    )
    heard = transcript.heard()
    assert heard.count("Pour le soutien régulier, faites le 6.") == 3
    assert heard.count(NO_INPUT) == 3
    assert VOICEMAIL in heard


def test_three_invalid_keys_lead_to_the_voicemail(phone_app: Flask, db: Session) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), caller=STRANGER, press="-,5,8,3")
    heard = transcript.heard()
    assert heard.count(INVALID) == 3
    assert heard.count("Pour le soutien régulier, faites le 6.") == 3
    assert VOICEMAIL in heard
    assert event_kinds(the_call(db, transcript)).count("invalid_input") == 3


def test_no_input_and_invalid_keys_are_counted_apart(phone_app: Flask, db: Session) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), press="-,5,-,8,6")
    heard = transcript.heard()
    assert heard.count(NO_INPUT) == 2 and heard.count(INVALID) == 2
    assert "Nous avons ouvert le billet numéro 1 0 0 1." in heard


def test_a_strangers_voicemail_message_becomes_a_ticket_for_a_supervisor(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), caller=STRANGER, press="-,-,-,-")
    ticket = the_ticket(db, transcript)
    assert ticket.to_verify
    assert [e.kind for e in ticket.events] == ["opened", "message"]


def test_the_reception_is_rung_during_office_hours(phone_app: Flask, db: Session) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), press="0", reception_answers=True)
    assert "Nous vous transférons à la réception." in transcript.heard()
    assert [e.text for e in transcript.entries if e.kind == "ring"] == ["+15145550160"]
    assert the_call(db, transcript).outcome == "connected"
    dial = next(d for d in transcript.documents if "<Dial" in d)
    assert 'callerId="+15145550101"' in dial


def test_an_anonymous_caller_is_shown_to_the_reception_as_the_support_line(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), caller="anonymous", press="0")
    dial = next(d for d in transcript.documents if "<Dial" in d)
    assert 'callerId="+15149826161"' in dial


def test_after_office_hours_the_reception_sends_callers_to_the_voicemail(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 16, 45), caller=STRANGER, press="0")
    heard = transcript.heard()
    assert (
        "La réception est fermée. Nos bureaux sont ouverts du lundi au vendredi, de 8 h à 16 h 30."
        in heard
    )
    assert VOICEMAIL in heard


def test_without_a_reception_number_the_office_is_not_said_to_be_closed(
    engine_url: str, db: Session
) -> None:
    app = create_app(app_config(engine_url, OFFICE_NUMBER=""))
    sync.load(db, entries.parse(DEMO_DIRECTORY.read_text()))
    db.commit()
    heard = place_call(app, at(2026, 12, 1, 10), caller=STRANGER, press="0").heard()
    assert not any("La réception est fermée" in line for line in heard)
    assert "La réception ne peut pas prendre votre appel pour le moment." in heard
    assert VOICEMAIL in heard


def test_star_repeats_the_menu(phone_app: Flask, db: Session) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), press="*,6")
    assert transcript.heard().count("Pour le soutien régulier, faites le 6.") == 2
