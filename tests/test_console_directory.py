"""Supervisors' directory pages: clients, contacts and staff created and edited through the
helpdesk's rules, and the directory file uploaded (refused whole on any error) or downloaded."""

from __future__ import annotations

import html
import io

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from directory import entries, sync
from models import Client, Contact, Duty, Language, Role, StaffMember
from tests.conftest import DEMO_DIRECTORY
from tests.console_world import HELENE, Staff, give_passwords, signed_in, staff_id

CLIENTS = "/console/clients/"
STAFF = "/console/staff"
FILE = "/console/directory/"
JULIE = "julie@altilogix.example"


@pytest.fixture
def helene(phone_app: Flask, db: Session) -> Staff:
    give_passwords(db)
    return signed_in(phone_app, HELENE)


def _client(db: Session, account: str) -> Client:
    db.expire_all()
    return db.scalars(select(Client).where(Client.account == account)).one()


def _contact_form(
    name: str, phones: str = "", authorized: bool = True, email: str = ""
) -> dict[str, str]:
    form = {"name": name, "email": email, "phones": phones, "language": "fr"}
    return form | ({"authorized": "on"} if authorized else {})


def _page(person: Staff, path: str) -> str:
    return html.unescape(person.text(path))


def test_a_supervisor_adds_a_client_and_a_contact_with_numbers_in_e164(
    helene: Staff, db: Session
) -> None:
    form = {"account": "1005", "name": "Fromagerie Hochelaga", "language": "fr"}
    response = helene.post(CLIENTS, form | {"hour_bank": "on", "distance_km": "8.5"}, page=CLIENTS)
    client = _client(db, "1005")
    assert response.headers["Location"] == f"/console/clients/{client.id}"
    assert (client.name, client.language, client.hour_bank, client.distance_km) == (
        "Fromagerie Hochelaga",
        Language.FR,
        True,
        8.5,
    )
    page = f"/console/clients/{client.id}"
    helene.post(
        f"{page}/contacts", _contact_form("Anne Caron", "514 555-0141, (438) 555-0142"), page=page
    )
    [contact] = _client(db, "1005").contacts
    assert [p.number for p in contact.phones] == ["+15145550141", "+14385550142"]
    assert contact.authorized


def test_editing_a_client_changes_its_account(helene: Staff, db: Session) -> None:
    client = _client(db, "1002")
    page = f"/console/clients/{client.id}"
    form = {"account": "1002", "name": "Quincaillerie Laval", "language": "en", "distance_km": "30"}
    helene.post(page, form, page=page)
    client = _client(db, "1002")
    assert (client.name, client.language, client.hour_bank, client.distance_km) == (
        "Quincaillerie Laval",
        Language.EN,
        False,
        30.0,
    )
    assert "Le client est enregistré." in _page(helene, page)


def test_a_fifth_authorized_contact_is_refused_with_a_clear_message(
    helene: Staff, db: Session
) -> None:
    client = _client(db, "1001")  # Marie and Jacques authorized, Nadia not
    page = f"/console/clients/{client.id}"
    for name in ("Paul Gravel", "Lise Ouellet"):
        helene.post(f"{page}/contacts", _contact_form(name), page=page)
    helene.post(f"{page}/contacts", _contact_form("Marc Dion"), page=page)
    assert (
        "Refusé : Boulangerie Saint-Denis a déjà 4 contacts autorisés : la politique en permet "
        "au plus 4. Retirez d'abord l'autorisation de l'un d'eux." in _page(helene, page)
    )
    names = [c.name for c in _client(db, "1001").contacts]
    assert names == [
        "Marie Tremblay",
        "Jacques Bouchard",
        "Nadia Roy",
        "Paul Gravel",
        "Lise Ouellet",
    ]


def test_authorizing_a_contact_past_the_limit_is_refused(helene: Staff, db: Session) -> None:
    client = _client(db, "1001")
    page = f"/console/clients/{client.id}"
    for name in ("Paul Gravel", "Lise Ouellet"):
        helene.post(f"{page}/contacts", _contact_form(name), page=page)
    nadia = db.scalars(select(Contact).where(Contact.name == "Nadia Roy")).one()
    helene.post(
        f"{page}/contacts/{nadia.id}", _contact_form("Nadia Roy", "514 555-0104"), page=page
    )
    assert "a déjà 4 contacts autorisés" in _page(helene, page)
    db.expire_all()
    assert db.get(Contact, nadia.id).authorized is False  # type: ignore[union-attr]


def test_an_invalid_phone_number_is_refused_and_nothing_is_saved(
    helene: Staff, db: Session
) -> None:
    client = _client(db, "1002")
    page = f"/console/clients/{client.id}"
    helene.post(f"{page}/contacts", _contact_form("Anne Caron", "514 555"), page=page)
    assert "Refusé : 514 555 n'est pas un numéro de téléphone valide" in _page(helene, page)
    assert [c.name for c in _client(db, "1002").contacts] == ["Sylvie Pelletier"]


def test_a_number_of_another_contact_is_refused(helene: Staff, db: Session) -> None:
    client = _client(db, "1002")
    page = f"/console/clients/{client.id}"
    helene.post(f"{page}/contacts", _contact_form("Anne Caron", "514 555-0101"), page=page)
    assert "Refusé : +15145550101 est déjà le numéro de Marie Tremblay" in _page(helene, page)


def test_an_email_address_with_a_line_break_is_refused_naming_the_field(
    helene: Staff, db: Session
) -> None:
    client = _client(db, "1002")
    page = f"/console/clients/{client.id}"
    typed = "a@b.example\r\nBcc: c@d.example"
    helene.post(
        f"{page}/contacts", _contact_form("Anne Caron", "514 555-0109", email=typed), page=page
    )
    refusal = "Refusé : courriel : a@b.example\r\nBcc: c@d.example n'est pas une adresse courriel"
    assert refusal in _page(helene, page)
    assert [c.name for c in _client(db, "1002").contacts] == ["Sylvie Pelletier"]


def test_a_contacts_address_is_stored_with_its_domain_in_lower_case(
    helene: Staff, db: Session
) -> None:
    client = _client(db, "1002")
    page = f"/console/clients/{client.id}"
    form = _contact_form("Anne Caron", email=" Anne.Caron@Quincaillerie.EXAMPLE ")
    helene.post(f"{page}/contacts", form, page=page)
    anne = db.scalars(select(Contact).where(Contact.name == "Anne Caron")).one()
    assert anne.email == "Anne.Caron@quincaillerie.example"


def test_an_address_of_another_clients_contact_is_refused_in_any_case(
    helene: Staff, db: Session
) -> None:
    client = _client(db, "1002")
    page = f"/console/clients/{client.id}"
    form = _contact_form("Anne Caron", "514 555-0109", email="MARIE@boulangerie.example")
    helene.post(f"{page}/contacts", form, page=page)
    assert "Refusé : MARIE@boulangerie.example est déjà l'adresse de Marie Tremblay" in _page(
        helene, page
    )
    assert [c.name for c in _client(db, "1002").contacts] == ["Sylvie Pelletier"]


def test_a_contact_edited_keeps_their_own_address(helene: Staff, db: Session) -> None:
    client = _client(db, "1001")
    page = f"/console/clients/{client.id}"
    marie = db.scalars(select(Contact).where(Contact.name == "Marie Tremblay")).one()
    form = _contact_form("Marie Tremblay", "514 555-0101", email="Marie@Boulangerie.example")
    helene.post(f"{page}/contacts/{marie.id}", form, page=page)
    assert "Le contact est enregistré." in _page(helene, page)
    db.expire_all()
    assert db.get(Contact, marie.id).email == "Marie@boulangerie.example"  # type: ignore[union-attr]


def test_a_supervisor_adds_a_technician(helene: Staff, db: Session) -> None:
    form = {
        "name": "Olivier Fortin",
        "email": "Olivier@AltiLogix.example",
        "mobile": "514 555-0177",
        "role": "technician",
        "language": "en",
        "active": "on",
    }
    helene.post(f"{STAFF}/new", form, page=STAFF)
    member = db.scalars(select(StaffMember).where(StaffMember.name == "Olivier Fortin")).one()
    assert (member.email, member.mobile, member.role, member.language, member.active) == (
        "olivier@altilogix.example",
        "+15145550177",
        Role.TECHNICIAN,
        Language.EN,
        True,
    )


def _staff_form(db: Session, email: str, **changes: str) -> dict[str, str]:
    member = db.scalars(select(StaffMember).where(StaffMember.email == email)).one()
    form = {
        "name": member.name,
        "email": member.email,
        "mobile": member.mobile or "",
        "role": member.role.value,
        "language": member.language.value,
        "active": "on",
    }
    return {k: v for k, v in (form | changes).items() if v != "-"}


def test_a_deactivated_technician_leaves_the_standing_order(helene: Staff, db: Session) -> None:
    julie = staff_id(db, JULIE)
    helene.post(f"{STAFF}/{julie}", _staff_form(db, JULIE, active="-"), page=STAFF)
    db.expire_all()
    assert db.get(StaffMember, julie).active is False  # type: ignore[union-attr]
    assert db.scalars(select(Duty).where(Duty.staff_member_id == julie)).all() == []


def test_a_technician_on_duty_cannot_lose_their_mobile(helene: Staff, db: Session) -> None:
    julie = staff_id(db, JULIE)
    helene.post(f"{STAFF}/{julie}", _staff_form(db, JULIE, mobile=""), page=STAFF)
    assert (
        "Refusé : Julie Côté n'a pas de numéro de mobile : la ligne ne pourrait ni l'appeler ni "
        "lui envoyer de message" in _page(helene, STAFF)
    )
    db.expire_all()
    assert db.get(StaffMember, julie).mobile == "+14385550174"  # type: ignore[union-attr]


def test_the_directory_file_downloads_in_the_files_format(helene: Staff, db: Session) -> None:
    response = helene.get(f"{FILE}export.toml")
    assert response.headers["Content-Disposition"] == 'attachment; filename="directory.toml"'
    text = response.get_data(as_text=True)
    assert text == sync.dump(db)
    parsed = entries.parse(text)
    assert [c.account for c in parsed.clients] == ["1001", "1002", "1003", "1004"]


def _upload(person: Staff, text: str) -> tuple[int, str]:
    data = {"csrf_token": person.token(FILE), "file": (io.BytesIO(text.encode()), "d.toml")}
    response = person.client.post(FILE, data=data, content_type="multipart/form-data")
    return response.status_code, html.unescape(response.get_data(as_text=True))


BAD_FILE = """
[[client]]
account = "1005"
name = "Fromagerie Hochelaga"
colour = "blue"

[[client.contact]]
name = "Anne Caron"
phones = ["514 555"]
"""


ERRORS = (
    '<ul class="errors">'
    "<li>client #1 (1005 Fromagerie Hochelaga): colour: unknown field (expected one of: account, "
    "contact, distance_km, hour_bank, language, name)</li>"
    "<li>client #1 (1005 Fromagerie Hochelaga) contact #1 (Anne Caron): phones[0]: '514 555' is "
    "not a valid phone number</li></ul>"
)


def test_a_bad_directory_file_is_refused_whole_with_every_error(helene: Staff, db: Session) -> None:
    status, page = _upload(helene, BAD_FILE)
    assert status == 400
    assert ERRORS in page
    assert db.scalar(select(func.count(Client.id))) == 4


def test_a_good_directory_file_is_loaded(helene: Staff, db: Session) -> None:
    text = (
        DEMO_DIRECTORY.read_text()
        + '\n[[client]]\naccount = "1005"\nname = "Fromagerie Hochelaga"\n'
    )
    status, _page_text = _upload(helene, text)
    assert status == 302
    assert _client(db, "1005").name == "Fromagerie Hochelaga"
    assert "Le fichier de l'annuaire est chargé : 5 clients, 6 membres du personnel." in _page(
        helene, FILE
    )
