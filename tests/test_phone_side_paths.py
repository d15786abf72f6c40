"""Authorized clients keep their promise on every path: a message left after menu silence, wrong
keys, at the reception, or after a failure (live, or kept while the database was down) opens a
ticket on the right line, whose number and deadline the caller hears and whose confirmation is
emailed. Anybody else's message on those paths waits for a supervisor, as before."""

from __future__ import annotations

from pathlib import Path

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import create_app
from directory import entries, sync
from helpdesk import replay
from models import Line, Ticket
from tests.conftest import DEMO_DIRECTORY, app_config
from tests.phone import (
    CATA,
    EMILY,
    MARIE,
    NADIA,
    STRANGER,
    at,
    helpdesk,
    place_call,
    queued,
    the_call,
    the_ticket,
)

TO_REGULAR = "Votre message sera transmis au soutien régulier."
DESCRIBE = "Après le bip, décrivez votre problème, puis faites le carré."
SAVED = "Merci, votre message est enregistré."
SAVED_EN = "Thank you, your message has been recorded."
FIRST_TICKET = "Nous avons ouvert le billet numéro 1 0 0 1."
RECEPTION_CLOSED = (
    "La réception est fermée. Nos bureaux sont ouverts du lundi au vendredi, de 8 h à 16 h 30."
)
REGULAR_HOURS = (
    "Le soutien régulier est offert du lundi au vendredi, de 8 h 30 à 17 h, sauf les jours fériés."
)
VOICEMAIL = "Laissez votre message après le bip, puis faites le carré ou raccrochez."
WILL_VERIFY = "Merci. Un membre de notre équipe vérifiera votre message."
NOWHERE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


def _broken(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("the database went away")


def _fail_in_the_regular_flow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("helpdesk.phone.waiting_ticket", _broken)


def _fail_in_the_urgent_flow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("helpdesk.phone.reachable_team", _broken)


def _assert_a_regular_ticket_confirmed_by_email(app: Flask, db: Session, ticket: Ticket) -> None:
    assert (ticket.priority, ticket.to_verify) == (Line.REGULAR, False)
    tasks = queued(app, db)
    assert f"ticket-{ticket.id}-confirm-by-email" in tasks
    assert len(tasks[f"ticket-{ticket.id}-notify"].args["staff_ids"]) == 2


# -- menu silence, wrong keys, the reception ---------------------------------------------------


def test_an_authorized_contacts_message_after_menu_silence_opens_a_regular_ticket_with_its_promise(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), caller=MARIE, press="-,-,-")
    assert transcript.heard()[-7:] == [
        "Nous allons prendre votre message.",
        TO_REGULAR,
        DESCRIBE,
        SAVED,
        FIRST_TICKET,
        "Un technicien vous rappellera au plus tard à 14 h.",
        "Au revoir.",
    ]
    ticket = the_ticket(db, transcript)
    assert ticket.sla_due_at == at(2026, 12, 1, 14)
    assert ticket.contact_id == the_call(db, transcript).contact_id is not None
    _assert_a_regular_ticket_confirmed_by_email(phone_app, db, ticket)


def test_an_authorized_contacts_message_after_wrong_keys_opens_a_regular_ticket_with_its_promise(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10, 15), caller=MARIE, press="5,8,3")
    heard = transcript.heard()
    assert heard.count("Ce choix n'est pas valide.") == 3
    assert heard[-8:] == [
        "Ce choix n'est pas valide.",
        "Nous allons prendre votre message.",
        TO_REGULAR,
        DESCRIBE,
        SAVED,
        FIRST_TICKET,
        "Un technicien vous rappellera au plus tard à 14 h 15.",
        "Au revoir.",
    ]
    _assert_a_regular_ticket_confirmed_by_email(phone_app, db, the_ticket(db, transcript))


def test_at_the_reception_after_16_30_while_regular_support_is_open_the_message_is_a_regular_ticket(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 16, 45), caller=MARIE, press="0")
    heard = transcript.heard()
    start = heard.index(RECEPTION_CLOSED)
    assert heard[start:] == [
        RECEPTION_CLOSED,
        TO_REGULAR,
        DESCRIBE,
        SAVED,
        FIRST_TICKET,
        # 15 minutes today, 3 h 45 tomorrow from 8:30
        "Un technicien vous rappellera au plus tard demain à 12 h 15.",
        "Au revoir.",
    ]
    ticket = the_ticket(db, transcript)
    assert ticket.sla_due_at == at(2026, 12, 2, 12, 15)
    _assert_a_regular_ticket_confirmed_by_email(phone_app, db, ticket)


def test_at_the_reception_in_the_evening_the_caller_hears_both_hours_and_the_next_day_promise(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 18), caller=MARIE, press="0")
    heard = transcript.heard()
    start = heard.index(RECEPTION_CLOSED)
    assert heard[start : start + 5] == [
        RECEPTION_CLOSED,
        "Nous sommes présentement fermés.",
        REGULAR_HOURS,
        TO_REGULAR,
        DESCRIBE,
    ]
    assert "Un technicien vous rappellera au plus tard demain à 12 h 30." in heard
    ticket = the_ticket(db, transcript)
    # The technicians are told at the line's next opening, as for any regular ticket.
    assert queued(phone_app, db)[f"ticket-{ticket.id}-notify"].run_at == at(2026, 12, 2, 8, 30)


def test_when_the_reception_does_not_answer_the_message_is_a_regular_ticket(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), caller=EMILY, press="0")
    heard = transcript.heard()
    assert "Your message will go to regular support." in heard
    assert "A technician will call you back no later than 2 PM today." in heard
    assert the_ticket(db, transcript).to_verify is False


def test_a_silent_authorized_caller_who_leaves_no_message_opens_no_ticket(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), press="-,-,-", record_seconds=0)
    assert transcript.heard()[-2:] == ["Nous n'avons pas reçu de message.", "Au revoir."]
    assert db.scalars(select(Ticket)).all() == []


# -- after a failure -----------------------------------------------------------------------------


def test_after_a_failure_in_the_regular_flow_the_message_opens_a_regular_ticket_with_its_promise(
    phone_app: Flask, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_in_the_regular_flow(monkeypatch)
    transcript = place_call(phone_app, at(2026, 12, 1, 10), caller=MARIE, press="6")
    heard = transcript.heard()
    assert "Nous éprouvons présentement des difficultés techniques." in heard
    assert heard[-4:] == [
        SAVED,
        FIRST_TICKET,
        "Un technicien vous rappellera au plus tard à 14 h.",
        "Au revoir.",
    ]
    ticket = the_ticket(db, transcript)
    assert ticket.sla_due_at == at(2026, 12, 1, 14)
    _assert_a_regular_ticket_confirmed_by_email(phone_app, db, ticket)


def test_after_a_failure_in_the_urgent_flow_the_message_opens_an_urgent_ticket_with_its_promise(
    phone_app: Flask, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_in_the_urgent_flow(monkeypatch)
    transcript = place_call(phone_app, at(2026, 12, 1, 10), caller=MARIE, press="7")
    assert transcript.heard()[-2:] == [
        "Un membre de l'équipe vous rappellera dans l'heure ouvrable, au plus tard à 11 h.",
        "Au revoir.",
    ]
    ticket = the_ticket(db, transcript)
    assert (ticket.priority, ticket.to_verify, ticket.sla_due_at) == (
        Line.URGENT,
        False,
        at(2026, 12, 1, 11),
    )
    tasks = queued(phone_app, db)
    assert f"ticket-{ticket.id}-confirm-by-email" in tasks
    assert len(tasks[f"ticket-{ticket.id}-notify"].args["staff_ids"]) == 3  # the urgent team


def test_after_a_failure_on_a_cata_number_the_message_is_urgent(
    phone_app: Flask, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_in_the_urgent_flow(monkeypatch)
    transcript = place_call(phone_app, at(2026, 12, 1, 10), caller=MARIE, to=CATA)
    ticket = the_ticket(db, transcript)
    assert (ticket.priority, ticket.sla_due_at) == (Line.URGENT, at(2026, 12, 1, 11))


# -- the database down, then back ------------------------------------------------------------------


def _back(engine_url: str, folder: Path) -> Flask:
    """The phone line once its database answers again, on the spool kept meanwhile."""
    app = create_app(app_config(engine_url, SPOOL_DIR=str(folder), CATA_NUMBERS=[CATA]))
    with helpdesk(app).transaction() as session:
        sync.load(session, entries.parse(DEMO_DIRECTORY.read_text()))
    return app


def test_with_the_database_down_the_message_is_kept_and_replayed_into_the_contacts_ticket(
    engine_url: str, db: Session, tmp_path: Path
) -> None:
    folder = tmp_path / "spool"
    down = create_app(app_config(NOWHERE, SPOOL_DIR=str(folder)))
    transcript = place_call(down, at(2026, 12, 1, 10), caller=MARIE, press="6")
    heard = transcript.heard()
    assert heard[-4:] == [SAVED, SAVED_EN, "Au revoir.", "Goodbye."]
    assert not any("rappellera" in line for line in heard)  # no promise it could not keep
    back = _back(engine_url, folder)
    with time_machine.travel(at(2026, 12, 1, 10, 30), tick=False):
        assert replay.replay_spool(helpdesk(back)) == 2  # the message and the call's end
    ticket = db.scalars(select(Ticket)).one()
    assert ticket.sla_due_at == at(2026, 12, 1, 14, 30)  # counting from when it was written
    assert ticket.requester == MARIE
    _assert_a_regular_ticket_confirmed_by_email(back, db, ticket)


def test_a_strangers_message_kept_while_the_database_was_down_waits_for_a_supervisor(
    engine_url: str, db: Session, tmp_path: Path
) -> None:
    folder = tmp_path / "spool"
    down = create_app(app_config(NOWHERE, SPOOL_DIR=str(folder)))
    place_call(down, at(2026, 12, 1, 10), caller=STRANGER, press="6")
    replay.replay_spool(helpdesk(_back(engine_url, folder)))
    ticket = db.scalars(select(Ticket)).one()
    assert (ticket.to_verify, ticket.sla_due_at) == (True, None)


# -- anybody else ---------------------------------------------------------------------------------

# Each path: when the call is placed, and what the caller presses (the first answer is to the
# greeting, where a caller not on file is offered English).
PATHS = {
    "menu silence": (at(2026, 12, 1, 10), "-,-,-,-"),
    "wrong keys": (at(2026, 12, 1, 10), "-,5,8,3"),
    "reception closed": (at(2026, 12, 1, 16, 45), "0"),
    "reception not answering": (at(2026, 12, 1, 10), "0"),
}


@pytest.mark.parametrize("caller", [STRANGER, NADIA], ids=["stranger", "not authorized"])
@pytest.mark.parametrize("path", list(PATHS))
def test_anybody_elses_message_on_a_side_path_stays_a_message_to_verify(
    phone_app: Flask, db: Session, caller: str, path: str
) -> None:
    when, press = PATHS[path]
    transcript = place_call(phone_app, when, caller=caller, press=press)
    heard = transcript.heard()
    assert VOICEMAIL in heard and TO_REGULAR not in heard
    assert heard[-2:] == [SAVED, "Au revoir."]
    ticket = the_ticket(db, transcript)
    assert (ticket.to_verify, ticket.sla_due_at) == (True, None)
    assert sorted(row.task for row in queued(phone_app, db).values()) == [
        "recording.copy",
        "ticket.verify",
    ]


def test_a_strangers_message_after_a_failure_stays_a_message_to_verify(
    phone_app: Flask, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_in_the_regular_flow(monkeypatch)
    monkeypatch.setattr("helpdesk.phone.account_given", _broken)
    transcript = place_call(phone_app, at(2026, 12, 1, 10), caller=STRANGER, press="-,6,1001#")
    assert not any("rappellera" in line for line in transcript.heard())
    ticket = the_ticket(db, transcript)
    assert (ticket.to_verify, ticket.sla_due_at) == (True, None)
