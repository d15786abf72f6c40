"""The supervisors' list pages run as many SQL statements with many rows as with few: each
loads its rows in a fixed number of queries, never one more per row."""

from __future__ import annotations

from datetime import date, time

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from models import Client, Closure, Contact, ContactPhone, StaffMember
from models.mail import Quarantine
from tests.banking import buy
from tests.console_world import HELENE, Staff, give_passwords
from tests.counting import statements

PAGES = [
    "/console/banks",
    "/console/clients/",
    "/console/staff",
    "/console/closures/",
    "/console/roster/",
    "/console/quarantine/",
    "/console/surveys",
]


def _more_of_everything(db: Session, first: int) -> None:
    for n in range(first, first + 6):
        client = Client(account=f"90{n:02d}", name=f"Client exemple {n}", hour_bank=True)
        db.add(client)
        db.flush()
        contact = Contact(client_id=client.id, name=f"Contact {n}", email=f"c{n}@client.example")
        db.add(contact)
        db.flush()
        db.add(ContactPhone(contact_id=contact.id, number=f"+187355501{n:02d}"))
        db.add(StaffMember(name=f"Tech {n}", email=f"tech{n}@altilogix.example"))
        db.add(Closure(day=date(2026, 12, 1 + n % 20), from_time=time(12), reason=f"r{n}"))
        db.add(Quarantine(sha256=f"{n:064d}", reason="not_a_message", raw=b"x", size=1))
    db.commit()
    for n in range(first, first + 6):
        buy(db, f"90{n:02d}", 2, invoice=f"F-{n}")


@pytest.mark.parametrize("page", PAGES)
def test_a_list_page_runs_as_many_statements_with_more_rows(
    phone_app: Flask, db: Session, page: str
) -> None:
    give_passwords(db)
    helene = Staff(phone_app)
    helene.sign_in(HELENE)
    _more_of_everything(db, 10)
    with statements(db.get_bind()) as few:
        helene.text(page)
    _more_of_everything(db, 30)
    with statements(db.get_bind()) as many:
        helene.text(page)
    assert 0 < len(many) == len(few), page
