"""Acts that cannot be taken back ask first (a page of their own, plain HTML, no script); a
message to verify is attached to nobody until a supervisor chooses, among contacts proposed
from its traces; a closure that an "open now" switch overrides says so."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from console import candidates
from models import (
    Channel,
    Client,
    Closure,
    Contact,
    ContactPhone,
    Language,
    Line,
    ScheduleOverride,
    StaffMember,
    Ticket,
    TicketEventKind,
    TicketStatus,
)
from tests.console_world import (
    CONFIRMED,
    HELENE,
    LUC,
    REACHED,
    Staff,
    signed_in,
    signed_in_at,
)
from tests.phone import NADIA, at, place_call

CLOSURES = "/console/closures/"


@pytest.fixture
def luc(desk: Flask) -> Staff:
    return signed_in(desk, LUC)


def _ticket(db: Session, number: int = 1001) -> Ticket:
    db.expire_all()
    return db.scalars(select(Ticket).where(Ticket.number == number)).one()


def test_resolving_shows_a_page_that_asks_and_changes_nothing(luc: Staff, db: Session) -> None:
    answer = luc.post("/console/tickets/1001/resolve")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Résoudre le billet 1001 ?" in page
    assert '<button type="submit" name="confirm" value="yes">Oui, le résoudre</button>' in page
    assert 'action="/console/tickets/1001/resolve"' in page
    assert 'href="/console/tickets/1001"' in page  # the way back
    assert _ticket(db).status == TicketStatus.OPEN


def test_resolving_a_ticket_nobody_answered_warns_there_is_no_first_response(
    luc: Staff, db: Session
) -> None:
    page = unescape(luc.post("/console/tickets/1001/resolve").get_data(as_text=True))
    assert "Personne n'a encore joint le client : ce billet n'a aucune première réponse." in page
    luc.post("/console/tickets/1001/called-back", REACHED)
    page = luc.post("/console/tickets/1001/resolve").get_data(as_text=True)
    assert "aucune première réponse" not in page


def test_the_confirmed_resolution_resolves(luc: Staff, db: Session) -> None:
    luc.post("/console/tickets/1001/resolve", CONFIRMED)
    assert _ticket(db).status == TicketStatus.RESOLVED


def test_closing_an_open_ticket_asks_and_says_the_client_will_be_told(
    luc: Staff, db: Session
) -> None:
    page = unescape(luc.post("/console/tickets/1001/close").get_data(as_text=True))
    assert "Fermer le billet 1001 ?" in page
    assert "le fermer le résout d'abord, et le client en est avisé" in page
    assert _ticket(db).status == TicketStatus.OPEN


def test_i_called_back_asks_before_it_becomes_the_first_response(luc: Staff, db: Session) -> None:
    page = luc.post("/console/tickets/1001/called-back", {"outcome": "reached"})
    assert "Avez-vous joint le client du billet 1001 ?" in page.get_data(as_text=True)
    assert 'name="outcome" value="reached"' in page.get_data(as_text=True)  # kept for the yes
    assert _ticket(db).first_response_at is None


def test_i_called_back_without_an_outcome_is_refused_by_name_on_the_ticket(
    luc: Staff, db: Session
) -> None:
    answer = luc.post("/console/tickets/1001/called-back", {})
    assert answer.status_code == 302
    page = unescape(luc.text("/console/tickets/1001"))
    assert "Refusé : dites ce qu'a donné l'appel" in page
    assert _ticket(db).first_response_at is None


def test_a_callback_that_reached_nobody_is_kept_on_the_ticket_without_a_first_response(
    luc: Staff, db: Session
) -> None:
    luc.post("/console/tickets/1001/called-back", {"outcome": "no_answer"})
    luc.post("/console/tickets/1001/called-back", {"outcome": "voicemail"})
    ticket = _ticket(db)
    attempts = [e.data for e in ticket.events if e.kind == TicketEventKind.CALLBACK_ATTEMPT]
    assert attempts == [{"outcome": "no_answer"}, {"outcome": "voicemail"}]
    assert ticket.first_response_at is None
    page = luc.text("/console/tickets/1001")
    assert ": sans réponse" in page and ": boîte vocale : message laissé" in page


def test_a_callback_attempt_reads_with_each_languages_colon(
    luc: Staff, db: Session, desk: Flask
) -> None:
    luc.post("/console/tickets/1001/called-back", {"outcome": "no_answer"})
    assert "Luc Gagnon : sans réponse" in luc.text("/console/tickets/1001")
    db.execute(update(StaffMember).where(StaffMember.email == LUC).values(language=Language.EN))
    db.commit()
    english = signed_in(desk, LUC).text("/console/tickets/1001")
    assert "Luc Gagnon: no answer" in english and "Luc Gagnon : " not in english


def test_an_unknown_callback_outcome_is_a_bad_request(luc: Staff) -> None:
    assert luc.post("/console/tickets/1001/called-back", {"outcome": "maybe"}).status_code == 400


def test_removing_a_closure_asks_first_naming_its_day(desk: Flask, db: Session) -> None:
    db.add(Closure(day=date(2026, 12, 2), reason="Inventaire"))
    db.commit()
    closure_id = db.scalars(select(Closure.id)).one()
    with signed_in_at(desk, HELENE, at(2026, 12, 1, 16)) as helene:
        page = helene.post(f"{CLOSURES}{closure_id}/remove", page=CLOSURES).get_data(as_text=True)
    assert "Retirer la fermeture du mercredi 2 décembre 2026 ?" in page
    assert "Inventaire" in page
    assert db.scalars(select(Closure)).all() != []


def test_ending_a_switch_asks_first(desk: Flask, db: Session) -> None:
    form = {"schedule": "cata", "state": "closed", "ends_at": "2026-12-01T17:00"}
    with signed_in_at(desk, HELENE, at(2026, 12, 1, 10)) as helene:
        helene.post(f"{CLOSURES}switches", form, page=CLOSURES)
        switch_id = db.scalars(select(ScheduleOverride.id)).one()
        page = helene.post(f"{CLOSURES}switches/{switch_id}/end", page=CLOSURES)
    assert "Mettre fin à cette bascule maintenant ?" in page.get_data(as_text=True)
    db.expire_all()
    assert db.scalars(select(ScheduleOverride.ends_at)).one() == at(2026, 12, 1, 17)


def test_a_closure_added_under_an_open_now_switch_says_the_switch_overrides_it(
    desk: Flask, db: Session
) -> None:
    switch = {"schedule": "office", "state": "open", "ends_at": "2026-12-06T18:00"}
    closure = {"day": "2026-12-05", "reason": "Inventaire"}
    with signed_in_at(desk, HELENE, at(2026, 12, 4, 17, 30)) as helene:
        helene.post(f"{CLOSURES}switches", switch, page=CLOSURES)
        helene.post(CLOSURES, closure, page=CLOSURES)
        page = helene.text(CLOSURES)
    assert "La fermeture est ajoutée, mais une bascule garde la ligne ouverte" in page
    assert "la ligne téléphonique la suit dès maintenant" not in page


def test_a_closure_with_no_switch_over_it_is_simply_added(desk: Flask) -> None:
    with signed_in_at(desk, HELENE, at(2026, 12, 4, 17, 30)) as helene:
        helene.post(CLOSURES, {"day": "2026-12-05"}, page=CLOSURES)
        page = helene.text(CLOSURES)
    assert "La fermeture est ajoutée : la ligne téléphonique la suit dès maintenant." in page


# -- messages to verify ---------------------------------------------------------------------------


@pytest.fixture
def nadias_message(desk: Flask, db: Session) -> int:
    """Nadia Roy (a contact of the bakery, not authorized) leaves a message, account 1001."""
    place_call(desk, at(2026, 12, 1, 10, 30), caller=NADIA, press="6,1001#")
    return db.scalars(select(Ticket.number).where(Ticket.to_verify.is_(True))).one()


def test_no_contact_is_chosen_for_a_message_to_verify(desk: Flask, nadias_message: int) -> None:
    page = signed_in(desk, HELENE).text("/console/verify")
    form = page.split(f'action="/console/verify/{nadias_message}/settle"')[1].split("</form>")[0]
    assert '<option value="" selected>— choisir un contact —</option>' in form
    assert form.count(" selected") == 1


def test_contacts_are_proposed_from_the_number_that_called_and_the_account_given(
    desk: Flask, nadias_message: int
) -> None:
    page = signed_in(desk, HELENE).text("/console/verify")
    proposed = page.split('<p class="proposed">')[1].split("</p>")[0]
    assert proposed.index("Nadia Roy") < proposed.index("Marie Tremblay")
    assert "le numéro qui a appelé, le numéro de compte donné" in proposed  # Nadia: both
    assert "Sylvie Pelletier" not in proposed  # another client


def test_a_message_to_verify_sent_without_a_contact_is_refused_by_name(
    desk: Flask, db: Session, nadias_message: int
) -> None:
    helene = signed_in(desk, HELENE)
    assert helene.post(f"/console/verify/{nadias_message}/settle", {}).status_code == 302
    assert "Refusé : choisissez le contact dont vient le message" in unescape(
        helene.text("/console/verify")
    )
    assert _ticket(db, nadias_message).to_verify


def test_attaching_to_a_contact_who_is_not_authorized_asks_first(
    desk: Flask, db: Session, nadias_message: int
) -> None:
    nadia = db.scalars(select(Contact.id).where(Contact.name == "Nadia Roy")).one()
    helene = signed_in(desk, HELENE)
    page = helene.post(f"/console/verify/{nadias_message}/settle", {"contact": str(nadia)})
    text = unescape(page.get_data(as_text=True))
    assert "qui n'est pas un contact autorisé de Boulangerie Saint-Denis ?" in text
    assert _ticket(db, nadias_message).to_verify
    helene.post(f"/console/verify/{nadias_message}/settle", {"contact": str(nadia), **CONFIRMED})
    assert _ticket(db, nadias_message).contact_id == nadia


def test_the_attachment_names_the_ticket_its_deadline_and_links_to_it(
    desk: Flask, db: Session, nadias_message: int
) -> None:
    marie = db.scalars(select(Contact.id).where(Contact.name == "Marie Tremblay")).one()
    with signed_in_at(desk, HELENE, at(2026, 12, 1, 11)) as helene:
        helene.post(f"/console/verify/{nadias_message}/settle", {"contact": str(marie)})
        page = helene.text("/console/verify")
    link = f'<a href="/console/tickets/{nadias_message}">{nadias_message}</a>'
    assert f"Le message {link} est maintenant un billet de ce client" in page
    # four business hours from 11:00 (the year is shown when the clock reads another year)
    assert re.search(r"au plus tard le mar\. 1 déc\.[^<]{0,8}, 15 h 00", page)


def _client(account: str, *contacts: Contact) -> Client:
    return Client(account=account, name=f"Client {account}", contacts=list(contacts))


def _contact(name: str, email: str, *phones: str) -> Contact:
    return Contact(
        name=name, email=email, authorized=True, phones=[ContactPhone(number=p) for p in phones]
    )


def test_an_email_is_proposed_its_senders_contact_then_the_contacts_of_its_domain() -> None:
    emily = _contact("Emily", "emily@dental.example", "+15145550121")
    robert = _contact("Robert", "robert@dental.example")
    paul = _contact("Paul", "paul@gmail.com")
    clients = [_client("1003", emily, robert), _client("1009", paul)]
    message = Ticket(requester="Emily@Dental.example", channel=Channel.EMAIL, priority=Line.REGULAR)
    proposed = candidates.propose(message, None, clients)
    assert [(c.contact.name, c.why) for c in proposed] == [
        ("Emily", ("address",)),
        ("Robert", ("domain",)),
    ]
    stranger = Ticket(requester="someone@gmail.com", channel=Channel.EMAIL, priority=Line.REGULAR)
    assert candidates.propose(stranger, None, clients) == []  # anybody's domain says nothing
