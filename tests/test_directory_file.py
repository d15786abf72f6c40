"""The directory file: loaded whole or not at all, idempotent, written back in the same format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

import models
from directory import entries, sync
from models import Client, Contact, Duty, Line, StaffMember
from tests.conftest import DEMO_DIRECTORY

ONE_CLIENT = """
[[client]]
account = "3001"
name = "Atelier Exemple"
language = "fr"
hour_bank = false
distance_km = 3

[[client.contact]]
name = "Ana Lopes"
email = "ana@atelier.example"
phones = ["514 555-0140"]
language = "fr"
authorized = true

[[staff]]
name = "Paul Morin"
email = "paul@altilogix.example"
mobile = "+1 514 555 0180"
role = "technician"
duty = ["regular"]
"""


def _snapshot(db: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every directory table, ids included."""
    db.expire_all()
    names = ["client", "contact", "contact_phone", "staff_member", "duty"]
    tables = [models.Base.metadata.tables[name] for name in names]
    return {t.name: sorted(tuple(row) for row in db.execute(select(t)).all()) for t in tables}


def _load(db: Session, text: str) -> None:
    sync.load(db, entries.parse(text))
    db.commit()


def _error_for(text: str) -> str:
    with pytest.raises(entries.DirectoryFileError) as caught:
        entries.parse(text)
    return str(caught.value)


def test_the_demo_directory_loads(db: Session) -> None:
    _load(db, DEMO_DIRECTORY.read_text())
    assert len(db.scalars(select(Client)).all()) == 4
    assert len(db.scalars(select(StaffMember)).all()) >= 5


def test_loading_the_same_file_twice_leaves_the_same_rows(db: Session) -> None:
    _load(db, DEMO_DIRECTORY.read_text())
    first = _snapshot(db)
    _load(db, DEMO_DIRECTORY.read_text())
    assert _snapshot(db) == first


def test_the_file_order_is_the_on_call_order(db: Session) -> None:
    _load(db, DEMO_DIRECTORY.read_text())
    urgent = db.scalars(
        select(StaffMember.name).join(Duty).where(Duty.line == Line.URGENT).order_by(Duty.position)
    ).all()
    assert urgent == ["Luc Gagnon", "Sophie Lavoie", "Karim Haddad"]


def test_a_changed_file_updates_names_numbers_and_duty(db: Session) -> None:
    _load(db, ONE_CLIENT)
    changed = (
        ONE_CLIENT.replace("Atelier Exemple", "Atelier Exemple inc.")
        .replace("514 555-0140", "438 555-0141")
        .replace('duty = ["regular"]', 'duty = ["urgent"]')
    )
    _load(db, changed)
    client = db.scalars(select(Client)).one()
    assert client.name == "Atelier Exemple inc."
    assert [p.number for p in client.contacts[0].phones] == ["+14385550141"]
    assert db.scalars(select(Duty.line)).all() == [Line.URGENT]


def test_a_number_can_move_from_one_contact_to_another(db: Session) -> None:
    text = ONE_CLIENT.replace(
        "[[staff]]",
        '[[client.contact]]\nname = "Bo Chen"\nphones = ["514 555-0142"]\n\n[[staff]]',
    )
    _load(db, text)
    swapped = text.replace('"514 555-0140"', '"TMP"').replace('"514 555-0142"', '"514 555-0140"')
    _load(db, swapped.replace('"TMP"', '"514 555-0142"'))
    owners = {c.name: [p.number for p in c.phones] for c in db.scalars(select(Contact))}
    assert owners == {"Ana Lopes": ["+15145550142"], "Bo Chen": ["+15145550140"]}


def test_a_contact_dropped_from_the_file_loses_authorization_and_numbers(db: Session) -> None:
    _load(db, DEMO_DIRECTORY.read_text())
    text = DEMO_DIRECTORY.read_text().replace('name = "Jacques Bouchard"', 'name = "Jacques B."')
    _load(db, text)
    old = db.scalars(select(Contact).where(Contact.name == "Jacques Bouchard")).one()
    assert (old.authorized, old.phones) == (False, [])


def test_a_contact_renamed_in_the_file_takes_the_address_from_the_contact_dropped(
    db: Session,
) -> None:
    _load(db, DEMO_DIRECTORY.read_text())
    text = DEMO_DIRECTORY.read_text().replace('name = "Jacques Bouchard"', 'name = "Jacques B."')
    _load(db, text)
    jacques = db.scalars(select(Contact).where(Contact.name.startswith("Jacques")))
    emails = {c.name: c.email for c in jacques}
    assert emails["Jacques B."] == "jacques@boulangerie.example"
    assert emails["Jacques Bouchard"] is None


def test_staff_dropped_from_the_file_become_inactive_and_off_duty(db: Session) -> None:
    _load(db, ONE_CLIENT)
    _load(db, ONE_CLIENT.split("[[staff]]")[0])
    paul = db.scalars(select(StaffMember)).one()
    assert paul.active is False
    assert db.scalars(select(Duty)).all() == []


def test_dump_writes_a_file_that_loads_back_to_the_same_rows(db: Session) -> None:
    _load(db, DEMO_DIRECTORY.read_text())
    before = _snapshot(db)
    dumped = sync.dump(db)
    _load(db, dumped)
    assert _snapshot(db) == before
    assert sync.dump(db) == dumped


def test_a_fifth_authorized_contact_is_refused_naming_the_client() -> None:
    contacts = "".join(
        f'\n[[client.contact]]\nname = "Personne {i}"\nphones = ["514 555-015{i}"]\n'
        for i in range(5)
    )
    text = ONE_CLIENT.split("[[client.contact]]")[0] + contacts
    message = _error_for(text)
    assert "client 3001 (Atelier Exemple): 5 authorized contacts" in message


def test_an_invalid_phone_number_is_refused_naming_entry_field_and_value() -> None:
    message = _error_for(ONE_CLIENT.replace("514 555-0140", "555-0140"))
    assert (
        "client #1 (3001 Atelier Exemple) contact #1 (Ana Lopes): phones[0]: '555-0140'" in message
    )


def test_a_number_used_by_two_contacts_is_refused_naming_both() -> None:
    text = ONE_CLIENT.replace(
        "[[staff]]",
        '[[client.contact]]\nname = "Bo Chen"\nphones = ["+15145550140"]\n\n[[staff]]',
    )
    message = _error_for(text)
    assert "contact 'Bo Chen': phones: +15145550140 is also the number of" in message
    assert "client 3001 contact 'Ana Lopes'" in message


def test_a_malformed_email_address_is_refused_naming_entry_field_and_value() -> None:
    message = _error_for(ONE_CLIENT.replace("ana@atelier.example", "ana@atelier"))
    assert (
        "client #1 (3001 Atelier Exemple) contact #1 (Ana Lopes): email: 'ana@atelier' is not a "
        "valid email address" in message
    )


def test_two_addresses_in_one_email_field_are_refused() -> None:
    message = _error_for(
        ONE_CLIENT.replace("ana@atelier.example", "ana@atelier.example, bo@atelier.example")
    )
    assert "(Ana Lopes): email: 'ana@atelier.example, bo@atelier.example' is not a valid" in message


def test_an_address_given_to_two_contacts_is_refused_in_any_case() -> None:
    text = ONE_CLIENT.replace(
        "[[staff]]",
        '[[client.contact]]\nname = "Bo Chen"\nemail = "ANA@atelier.example"\n\n[[staff]]',
    )
    message = _error_for(text)
    assert (
        "client 3001 contact 'Bo Chen': email: ANA@atelier.example is also the address of "
        "client 3001 contact 'Ana Lopes'" in message
    )


def test_an_address_of_a_client_the_file_leaves_alone_is_refused_and_nothing_loaded(
    db: Session,
) -> None:
    _load(db, DEMO_DIRECTORY.read_text())
    before = _snapshot(db)
    text = ONE_CLIENT.replace("ana@atelier.example", "Marie@Boulangerie.example")
    with pytest.raises(entries.DirectoryFileError) as caught:
        sync.load(db, entries.parse(text))
    db.rollback()
    assert caught.value.errors == [
        "client 3001 contact 'Ana Lopes': email: marie@boulangerie.example is also the address "
        "of client 1001 contact 'Marie Tremblay'"
    ]
    assert _snapshot(db) == before


def test_an_unknown_language_is_refused() -> None:
    message = _error_for(ONE_CLIENT.replace('language = "fr"', 'language = "es"', 1))
    assert "client #1 (3001 Atelier Exemple): language: unknown value 'es'" in message


def test_a_missing_name_is_refused() -> None:
    message = _error_for(ONE_CLIENT.replace('name = "Paul Morin"\n', ""))
    assert "staff #1 (?): name: missing" in message


def test_a_misspelled_field_is_refused_rather_than_ignored() -> None:
    message = _error_for(ONE_CLIENT.replace("phones =", "phone ="))
    assert "phone: unknown field" in message


def test_staff_on_duty_without_a_mobile_are_refused_since_nobody_could_ring_them() -> None:
    message = _error_for(ONE_CLIENT.replace('mobile = "+1 514 555 0180"\n', ""))
    assert "staff #1 (Paul Morin): mobile: needed to be rung and paged on regular duty" in message


def test_staff_off_duty_need_no_mobile() -> None:
    text = ONE_CLIENT.replace('mobile = "+1 514 555 0180"\n', "").replace(
        'duty = ["regular"]', "duty = []"
    )
    assert entries.parse(text).staff[0].mobile is None


def test_every_problem_is_reported_at_once() -> None:
    text = ONE_CLIENT.replace("514 555-0140", "nope").replace(
        'role = "technician"', 'role = "boss"'
    )
    with pytest.raises(entries.DirectoryFileError) as caught:
        entries.parse(text)
    assert len(caught.value.errors) == 2


def test_the_command_refuses_a_bad_file_and_loads_nothing(
    cli: FlaskCliRunner, db: Session, tmp_path: Path
) -> None:
    contacts = "".join(
        f'\n[[client.contact]]\nname = "Personne {i}"\nphones = ["514 555-016{i}"]\n'
        for i in range(5)
    )
    bad = tmp_path / "bad.toml"
    bad.write_text(
        DEMO_DIRECTORY.read_text() + '\n[[client]]\naccount = "3999"\nname = "Trop"\n' + contacts
    )
    result = cli.invoke(args=["directory", "load", str(bad)])
    assert result.exit_code == 1
    assert "client 3999 (Trop): 5 authorized contacts" in result.output
    assert db.scalars(select(Client)).all() == []
    assert db.scalars(select(StaffMember)).all() == []


def test_the_commands_load_and_dump(cli: FlaskCliRunner, db: Session) -> None:
    loaded = cli.invoke(args=["directory", "load", str(DEMO_DIRECTORY)])
    assert loaded.exit_code == 0, loaded.output
    assert "4 client(s), 7 contact(s), 6 staff member(s) loaded" in loaded.output
    dumped = cli.invoke(args=["directory", "dump"])
    assert dumped.exit_code == 0
    assert entries.parse(dumped.output).clients[0].account == "1001"


def test_load_if_empty_leaves_an_existing_directory_alone(cli: FlaskCliRunner, db: Session) -> None:
    _load(db, ONE_CLIENT)
    result = cli.invoke(args=["directory", "load-if-empty", str(DEMO_DIRECTORY)])
    assert "left as it is" in result.output
    assert len(db.scalars(select(Client)).all()) == 1
