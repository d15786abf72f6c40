"""An authorized contact calling from a number not on file: the account number, then their
personal code, and the call is theirs; wrong codes are counted on the call and, for an
account, over a day; a code is stored hashed and never written anywhere in clear."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from helpdesk import personal_codes, replay
from models import Contact, Language, Line
from tests.phone import (
    CATA,
    STRANGER,
    at,
    event_kinds,
    helpdesk,
    place_call,
    queued,
    the_call,
    the_ticket,
)

CODE_PROMPT = (
    "Si vous êtes une personne désignée par votre entreprise, entrez votre code personnel à "
    "quatre chiffres, suivi du carré. Sinon, faites le carré."
)
REFUSED = "Ce code n'est pas reconnu."
NOT_IDENTIFIED = (
    "Nous n'avons pas pu vous reconnaître comme l'une des personnes désignées par votre "
    "entreprise. Laissez votre message après le bip; un superviseur le vérifiera et, dès que "
    "votre identité sera confirmée, nous vous rappellerons."
)
WILL_VERIFY = "Merci. Un membre de notre équipe vérifiera votre message."
MARIES_CODE, EMILYS_CODE = "2468", "1357"
SAVED_EN = "Thank you, your message has been recorded."


def _contact(db: Session, name: str) -> Contact:
    db.expire_all()
    return db.scalars(select(Contact).where(Contact.name == name)).one()


def _give_code(db: Session, name: str, code: str) -> None:
    contact = _contact(db, name)
    personal_codes.set_code(db, contact.client_id, contact.id, code)
    db.commit()


@pytest.fixture
def codes(phone_app: Flask, db: Session) -> Flask:
    """Marie (Boulangerie Saint-Denis, 1001) and Emily (Westmount Dental Clinic, 1003) have a
    personal code; nobody at Quincaillerie Laval (1002) has one."""
    _give_code(db, "Marie Tremblay", MARIES_CODE)
    _give_code(db, "Emily Carter", EMILYS_CODE)
    return phone_app


def test_a_contact_calling_from_a_new_phone_with_their_code_is_treated_as_that_contact(
    codes: Flask, db: Session
) -> None:
    transcript = place_call(
        codes, at(2026, 12, 1, 10), caller=STRANGER, press=f"-,6,1003#,{EMILYS_CODE}#"
    )
    heard = transcript.heard()
    assert heard[heard.index(CODE_PROMPT) + 1 :] == [
        "We have opened ticket number 1 0 0 1.",  # in Emily's language from now on
        "After the beep, describe your problem, then press pound.",
        "Thank you, your message has been recorded.",
        "Your ticket number is 1 0 0 1.",
        "A technician will call you back no later than 2 PM today.",
        "Goodbye.",
    ]
    emily = _contact(db, "Emily Carter")
    ticket = the_ticket(db, transcript)
    assert (ticket.client_id, ticket.contact_id, ticket.language) == (
        emily.client_id,
        emily.id,
        Language.EN,
    )
    assert (ticket.to_verify, ticket.requester) == (False, STRANGER)
    call = the_call(db, transcript)
    assert (call.contact_id, call.client_id, call.language) == (
        emily.id,
        emily.client_id,
        Language.EN,
    )
    assert "identified_by_code" in event_kinds(call)
    assert f"ticket-{ticket.id}-confirm-by-email" in queued(codes, db)


def test_a_contact_known_by_code_reaches_the_cata_as_if_calling_from_their_own_phone(
    codes: Flask, db: Session
) -> None:
    transcript = place_call(
        codes, at(2026, 12, 1, 10), caller="anonymous", to=CATA, press=f"-,1001#,{MARIES_CODE}#"
    )
    assert "Nous joignons un technicien de garde. Veuillez patienter." in transcript.heard()
    ticket = the_ticket(db, transcript)
    assert (ticket.priority, ticket.contact_id) == (Line.URGENT, _contact(db, "Marie Tremblay").id)


def test_a_caller_who_chose_english_keeps_it_when_known_by_code(codes: Flask, db: Session) -> None:
    transcript = place_call(
        codes, at(2026, 12, 1, 10), caller=STRANGER, press=f"9,6,1001#,{MARIES_CODE}#"
    )
    assert "We have opened ticket number 1 0 0 1." in transcript.heard()
    assert the_ticket(db, transcript).contact_id == _contact(db, "Marie Tremblay").id


def test_three_wrong_codes_lead_to_a_message_to_verify(codes: Flask, db: Session) -> None:
    transcript = place_call(
        codes, at(2026, 12, 1, 10), caller=STRANGER, press="-,6,1001#,1111#,2469#,8642#"
    )
    heard = transcript.heard()
    assert heard.count(CODE_PROMPT) == 3 and heard.count(REFUSED) == 3
    assert heard[-4:] == [REFUSED, NOT_IDENTIFIED, WILL_VERIFY, "Au revoir."]
    ticket = the_ticket(db, transcript)
    assert (ticket.to_verify, ticket.sla_due_at, ticket.contact_id) == (True, None, None)
    call = the_call(db, transcript)
    assert call.code_failures == 3 and call.contact_id is None
    assert event_kinds(call).count("code_refused") == 3


def test_a_wrong_code_then_the_right_one_is_accepted(codes: Flask, db: Session) -> None:
    transcript = place_call(
        codes, at(2026, 12, 1, 10), caller=STRANGER, press=f"-,6,1001#,2486#,{MARIES_CODE}#"
    )
    assert transcript.heard().count(REFUSED) == 1
    assert "Un technicien vous rappellera au plus tard à 14 h." in transcript.heard()
    assert the_call(db, transcript).code_failures == 1


def test_another_clients_code_does_not_open_this_clients_account(codes: Flask, db: Session) -> None:
    transcript = place_call(
        codes, at(2026, 12, 1, 10), caller=STRANGER, press=f"-,6,1001#,{EMILYS_CODE}#,-"
    )
    assert REFUSED in transcript.heard()
    assert the_call(db, transcript).contact_id is None


def test_without_a_code_the_caller_presses_pound_and_leaves_a_message_to_verify(
    codes: Flask, db: Session
) -> None:
    transcript = place_call(codes, at(2026, 12, 1, 10), caller=STRANGER, press="-,6,1001#,#")
    heard = transcript.heard()
    assert heard[heard.index(CODE_PROMPT) + 1 :] == [NOT_IDENTIFIED, WILL_VERIFY, "Au revoir."]
    assert the_ticket(db, transcript).to_verify
    assert the_call(db, transcript).code_failures == 0


def test_a_client_whose_contacts_have_no_code_is_not_asked_for_one(
    codes: Flask, db: Session
) -> None:
    transcript = place_call(codes, at(2026, 12, 1, 10), caller=STRANGER, press="-,6,1002#")
    assert CODE_PROMPT not in transcript.heard() and NOT_IDENTIFIED in transcript.heard()


def test_a_contact_no_longer_authorized_cannot_use_their_code(codes: Flask, db: Session) -> None:
    marie = _contact(db, "Marie Tremblay")
    marie.authorized = False
    db.commit()
    transcript = place_call(
        codes, at(2026, 12, 1, 10), caller=STRANGER, press=f"-,6,1001#,{MARIES_CODE}#"
    )
    assert CODE_PROMPT not in transcript.heard()  # nobody else of the client has a code
    assert the_ticket(db, transcript).to_verify


def _guess(app: Flask, when: datetime, codes: str) -> None:
    place_call(app, when, caller=STRANGER, press=f"-,6,1001#,{codes}")


def test_an_account_is_asked_for_no_code_after_ten_wrong_codes_in_a_day(
    codes: Flask, db: Session
) -> None:
    morning = at(2026, 12, 1, 9)
    for hour in range(3):  # 3 calls, 3 wrong codes each
        _guess(codes, morning + timedelta(hours=hour), "1111#,2222#,3333#")
    _guess(codes, morning + timedelta(hours=3), "4444#,-")  # the 10th wrong code
    locked = place_call(
        codes, at(2026, 12, 1, 14), caller=STRANGER, press=f"-,6,1001#,{MARIES_CODE}#"
    )
    assert CODE_PROMPT not in locked.heard() and NOT_IDENTIFIED in locked.heard()
    assert "codes_locked" in event_kinds(the_call(db, locked))
    # The next day, once the first calls are 24 hours old, the right code works again.
    later = place_call(
        codes, at(2026, 12, 2, 13), caller=STRANGER, press=f"-,6,1001#,{MARIES_CODE}#"
    )
    assert the_call(db, later).contact_id == _contact(db, "Marie Tremblay").id


def test_the_lock_of_one_account_leaves_the_others_alone(codes: Flask, db: Session) -> None:
    morning = at(2026, 12, 1, 9)
    for hour in range(4):
        _guess(codes, morning + timedelta(hours=hour), "1111#,2222#,3333#")
    other = place_call(
        codes, at(2026, 12, 1, 14), caller=STRANGER, press=f"-,6,1003#,{EMILYS_CODE}#"
    )
    assert the_call(db, other).contact_id == _contact(db, "Emily Carter").id


def test_every_try_is_checked_against_every_code_of_the_client(
    codes: Flask, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A right code and a wrong one cost the same hash checks: the time of the answer tells a
    guesser nothing."""
    _give_code(db, "Jacques Bouchard", "9753")
    checked: list[str] = []
    real = check_password_hash

    def counting(stored: str, code: str) -> bool:
        checked.append(code)
        return real(stored, code)

    monkeypatch.setattr("helpdesk.personal_codes.check_password_hash", counting)
    place_call(codes, at(2026, 12, 1, 10), caller=STRANGER, press=f"-,6,1001#,{MARIES_CODE}#")
    right = len(checked)
    checked.clear()
    place_call(codes, at(2026, 12, 1, 11), caller=STRANGER, press="-,6,1001#,8024#,-")
    assert right == len(checked) == 2  # Marie's and Jacques's codes, each time


def test_a_code_is_stored_hashed_and_never_written_in_clear(
    codes: Flask, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    stored = _contact(db, "Marie Tremblay").pin_hash
    assert stored is not None and MARIES_CODE not in stored
    assert stored.startswith("scrypt:")
    caplog.set_level(logging.DEBUG)
    transcript = place_call(
        codes, at(2026, 12, 1, 10), caller=STRANGER, press=f"-,6,1001#,{MARIES_CODE}#"
    )
    assert MARIES_CODE not in caplog.text
    call = the_call(db, transcript)
    assert call.contact_id is not None
    assert not any(MARIES_CODE in str(event.data) for event in call.events)


def test_the_simulator_places_a_call_with_an_account_and_a_code(codes: Flask, db: Session) -> None:
    result = codes.test_cli_runner().invoke(
        args=[
            "call",
            "simulate",
            "--from",
            STRANGER,
            "--press",
            f"-,6,1001#,{MARIES_CODE}#",
            "--at",
            "2026-12-01 10:15",
        ]
    )
    assert result.exit_code == 0, result.output
    assert f"caller presses {MARIES_CODE}#" in result.output
    assert "caller hears [fr-CA]: Un technicien vous rappellera au plus tard à 14 h 15." in (
        result.output
    )


def test_a_contact_known_by_code_keeps_their_promise_through_a_failure_and_a_database_outage(
    codes: Flask, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Known by code, then the regular flow fails and the database with it: the message is
    kept on disk and, written back, opens the contact's ticket (the call's row names them)."""

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("helpdesk.phone.waiting_ticket", broken)
    monkeypatch.setattr("helpdesk.phone.message_left", broken)
    transcript = place_call(
        codes, at(2026, 12, 1, 10), caller=STRANGER, press=f"-,6,1001#,{MARIES_CODE}#"
    )
    assert transcript.heard()[-4:-2] == ["Merci, votre message est enregistré.", SAVED_EN]
    monkeypatch.undo()
    with time_machine.travel(at(2026, 12, 1, 10, 5), tick=False):
        assert replay.replay_spool(helpdesk(codes)) == 1
    ticket = the_ticket(db, transcript)
    assert (ticket.to_verify, ticket.contact_id) == (False, _contact(db, "Marie Tremblay").id)
    assert ticket.sla_due_at == at(2026, 12, 1, 14, 5)
    assert f"ticket-{ticket.id}-confirm-by-email" in queued(codes, db)
