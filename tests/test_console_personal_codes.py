"""A supervisor sets and clears a contact's personal code on the client's page: the page says
whether a contact has one, never what it is; the directory file never carries codes, and
loading it again keeps them."""

from __future__ import annotations

import html

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from directory import entries, sync
from helpdesk import personal_codes
from models import Contact
from tests.conftest import DEMO_DIRECTORY
from tests.console_world import DAVID, HELENE, LUC, Staff, give_passwords, signed_in


@pytest.fixture
def people(phone_app: Flask, db: Session) -> Flask:
    give_passwords(db)
    return phone_app


def _contact(db: Session, name: str) -> Contact:
    db.expire_all()
    return db.scalars(select(Contact).where(Contact.name == name)).one()


def _code_path(contact: Contact, act: str = "") -> str:
    return f"/console/clients/{contact.client_id}/contacts/{contact.id}/code{act}"


def _set(person: Staff, contact: Contact, code: str) -> str:
    """Set a code as the page's form does; the next page's text."""
    page = f"/console/clients/{contact.client_id}"
    response = person.post(_code_path(contact), {"code": code}, page=page)
    assert response.status_code == 302 and response.headers["Location"] == page
    return html.unescape(person.text(page))


def test_a_supervisor_sets_a_code_and_the_page_says_so_without_showing_it(
    people: Flask, db: Session
) -> None:
    helene = signed_in(people, HELENE)
    marie = _contact(db, "Marie Tremblay")
    before = html.unescape(helene.text(f"/console/clients/{marie.client_id}"))
    assert "Marie Tremblay n'a pas de code personnel pour la ligne téléphonique." in before
    page = _set(helene, marie, "2468")
    assert "Le code personnel est enregistré." in page
    assert "Marie Tremblay a un code personnel pour la ligne téléphonique." in page
    stored = _contact(db, "Marie Tremblay").pin_hash
    assert stored is not None and check_password_hash(stored, "2468")
    assert "2468" not in page and stored not in page


def test_a_supervisor_clears_a_code(people: Flask, db: Session) -> None:
    helene = signed_in(people, HELENE)
    marie = _contact(db, "Marie Tremblay")
    _set(helene, marie, "2468")
    page = f"/console/clients/{marie.client_id}"
    helene.post(_code_path(marie, "/clear"), page=page)
    text = html.unescape(helene.text(page))
    assert "Le code personnel est effacé." in text
    assert "Marie Tremblay n'a pas de code personnel pour la ligne téléphonique." in text
    assert _contact(db, "Marie Tremblay").pin_hash is None


def test_the_page_speaks_english_to_an_english_supervisor(people: Flask, db: Session) -> None:
    david = signed_in(people, DAVID)
    emily = _contact(db, "Emily Carter")
    page = _set(david, emily, "1357")
    assert "The personal code is set." in page
    assert "Emily Carter has a personal code for the phone line." in page
    assert "New personal code (4 digits)" in page and "Clear the code" in page


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("246", "un code personnel compte 4 chiffres"),
        ("24a8", "un code personnel compte 4 chiffres"),
        ("1111", "ce code est trop facile à deviner"),
        ("6789", "ce code est trop facile à deviner"),
        ("3579", "un autre contact de ce client a ce code"),  # Jacques's
    ],
)
def test_a_code_that_will_not_do_is_refused_and_nothing_is_stored(
    people: Flask, db: Session, code: str, why: str
) -> None:
    jacques = _contact(db, "Jacques Bouchard")
    personal_codes.set_code(db, jacques.client_id, jacques.id, "3579")
    db.commit()
    helene = signed_in(people, HELENE)
    page = _set(helene, _contact(db, "Marie Tremblay"), code)
    assert f"Refusé : {why}" in page
    assert _contact(db, "Marie Tremblay").pin_hash is None


def test_a_contact_who_is_not_authorized_gets_no_code(people: Flask, db: Session) -> None:
    helene = signed_in(people, HELENE)
    nadia = _contact(db, "Nadia Roy")
    page = _set(helene, nadia, "2468")
    assert "Refusé : seul un contact autorisé peut avoir un code" in page
    assert _contact(db, "Nadia Roy").pin_hash is None


def test_setting_a_code_needs_the_forms_token_and_a_supervisor(people: Flask, db: Session) -> None:
    marie = _contact(db, "Marie Tremblay")
    helene = signed_in(people, HELENE)
    forged = helene.client.post(_code_path(marie), data={"code": "2468"})
    assert forged.status_code == 400
    luc = signed_in(people, LUC)
    assert luc.post(_code_path(marie), {"code": "2468"}).status_code == 403
    assert _contact(db, "Marie Tremblay").pin_hash is None


def test_the_directory_file_never_carries_codes_and_loading_it_again_keeps_them(
    people: Flask, db: Session, cli: FlaskCliRunner
) -> None:
    marie = _contact(db, "Marie Tremblay")
    personal_codes.set_code(db, marie.client_id, marie.id, "2468")
    db.commit()
    stored = _contact(db, "Marie Tremblay").pin_hash
    assert stored is not None
    dumped = cli.invoke(args=["directory", "dump"])
    assert dumped.exit_code == 0
    assert "2468" not in dumped.output and stored not in dumped.output
    assert "pin" not in dumped.output and "scrypt" not in dumped.output
    helene = signed_in(people, HELENE)
    assert stored not in helene.get("/console/directory/export.toml").get_data(as_text=True)
    sync.load(db, entries.parse(dumped.output))
    sync.load(db, entries.parse(DEMO_DIRECTORY.read_text()))
    db.commit()
    assert _contact(db, "Marie Tremblay").pin_hash == stored


def test_a_contact_dropped_from_the_directory_file_loses_their_code(db: Session) -> None:
    sync.load(db, entries.parse(DEMO_DIRECTORY.read_text()))
    jacques = _contact(db, "Jacques Bouchard")
    personal_codes.set_code(db, jacques.client_id, jacques.id, "3579")
    db.commit()
    renamed = DEMO_DIRECTORY.read_text().replace('"Jacques Bouchard"', '"Jacques B."')
    sync.load(db, entries.parse(renamed))
    db.commit()
    assert _contact(db, "Jacques Bouchard").pin_hash is None
