"""Rules of the data model, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import (
    BankReason,
    BankTransaction,
    Client,
    Contact,
    ContactPhone,
    IntegrityRuleError,
    StaffMember,
)
from phones import InvalidPhoneNumber


def _client_with_contacts(db: Session, authorized: int) -> Client:
    client = Client(account="2001", name="Fromagerie Exemple")
    client.contacts = [Contact(name=f"Contact {i}", authorized=True) for i in range(authorized)]
    db.add(client)
    db.commit()
    return client


def test_a_client_may_have_four_authorized_contacts(db: Session) -> None:
    client = _client_with_contacts(db, 4)
    assert len(client.contacts) == 4


def test_a_fifth_authorized_contact_is_refused_naming_the_client(db: Session) -> None:
    client = _client_with_contacts(db, 4)
    db.add(Contact(client_id=client.id, name="Cinquième", authorized=True))
    with pytest.raises(IntegrityRuleError, match=r"client 2001 \(Fromagerie Exemple\).*at most 4"):
        db.commit()


def test_authorizing_an_existing_fifth_contact_is_refused(db: Session) -> None:
    client = _client_with_contacts(db, 4)
    extra = Contact(client_id=client.id, name="Réserviste", authorized=False)
    db.add(extra)
    db.commit()
    extra.authorized = True
    with pytest.raises(IntegrityRuleError):
        db.commit()


def test_unauthorized_contacts_do_not_count_toward_the_four(db: Session) -> None:
    client = _client_with_contacts(db, 4)
    db.add(Contact(client_id=client.id, name="Comptable", authorized=False))
    db.commit()
    assert len(db.scalars(select(Contact)).all()) == 5


def test_phone_numbers_are_stored_in_e164(db: Session) -> None:
    client = _client_with_contacts(db, 1)
    client.contacts[0].phones.append(ContactPhone(number="(514) 555-0188"))
    db.commit()
    assert db.scalar(select(ContactPhone.number)) == "+15145550188"


def test_an_invalid_phone_number_is_refused_with_field_and_value(db: Session) -> None:
    with pytest.raises(InvalidPhoneNumber, match=r"contact phone: '555-01' is not a valid"):
        ContactPhone(number="555-01")
    with pytest.raises(InvalidPhoneNumber, match=r"staff mobile: 'abc'"):
        StaffMember(name="X", email="x@altilogix.example", mobile="abc")


def test_two_contacts_cannot_share_a_phone_number(db: Session) -> None:
    client = _client_with_contacts(db, 2)
    client.contacts[0].phones.append(ContactPhone(number="514 555-0190"))
    client.contacts[1].phones.append(ContactPhone(number="+1 514 555 0190"))
    with pytest.raises(IntegrityError):
        db.commit()


def test_times_come_back_aware_and_in_utc(db: Session) -> None:
    montreal_winter = timezone(timedelta(hours=-5))
    created = datetime(2026, 12, 1, 10, 15, tzinfo=montreal_winter)
    db.add(Client(account="2002", name="Horloger", created_at=created))
    db.commit()
    db.expire_all()
    stored = db.scalar(select(Client.created_at))
    assert stored == datetime(2026, 12, 1, 15, 15, tzinfo=UTC)
    assert stored is not None and stored.utcoffset() == timedelta(0)


def test_a_naive_time_is_refused(db: Session) -> None:
    db.add(Client(account="2003", name="Naïf", created_at=datetime(2026, 12, 1, 10, 15)))  # noqa: DTZ001
    with pytest.raises(Exception, match="naive datetime"):
        db.commit()


def test_the_hour_bank_ledger_is_append_only(db: Session) -> None:
    client = _client_with_contacts(db, 1)
    purchase = BankTransaction(client_id=client.id, minutes=600, reason=BankReason.PURCHASE)
    db.add(purchase)
    db.commit()
    purchase.minutes = 6000
    with pytest.raises(IntegrityRuleError, match="append-only"):
        db.commit()
    db.rollback()
    db.delete(purchase)
    with pytest.raises(IntegrityRuleError, match="append-only"):
        db.commit()
