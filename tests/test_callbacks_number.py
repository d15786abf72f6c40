"""Which number a callback rings: the one the client called from, else the first on file of the
ticket's contact (an emailed request, an anonymous call attached to a contact)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from helpdesk import callbacks, tickets
from helpdesk.context import Context
from helpdesk.tickets import Requester
from models import (
    CallbackRequest,
    CallbackState,
    Channel,
    Contact,
    ContactPhone,
    Language,
    Line,
    StaffMember,
    Ticket,
)
from sending import staff_notices
from tests.phone import RecordingTwilioHttp, helpdesk, signed_post


def _contact(db: Session, name: str) -> Contact:
    return db.scalars(select(Contact).where(Contact.name == name)).one()


def _luc(db: Session) -> StaffMember:
    return db.scalars(select(StaffMember).where(StaffMember.name == "Luc Gagnon")).one()


def _emailed_by_marie(app: Flask, db: Session) -> Ticket:
    """Marie Tremblay's request by email: on file, (514) 555-0101 then (438) 555-0102."""
    marie = _contact(db, "Marie Tremblay")
    requester = Requester(marie.client_id, marie.id, "marie@boulangerie.example", Language.FR)
    opened = tickets.open_ticket(
        db,
        helpdesk(app).hours,
        requester,
        priority=Line.REGULAR,
        channel=Channel.EMAIL,
        subject="?",
    )
    db.commit()
    return opened.ticket


def _anonymous_call(db: Session) -> Ticket:
    """A call with a hidden caller ID, nobody known: a message for a supervisor to verify."""
    hidden = Requester(None, None, "", Language.FR)
    ticket = tickets.open_to_verify(
        db, hidden, priority=Line.REGULAR, channel=Channel.PHONE, subject="?"
    )
    db.commit()
    return ticket


def test_an_emailed_ticket_is_called_back_on_the_contact_s_first_number(
    phone_app: Flask, db: Session
) -> None:
    ticket = _emailed_by_marie(phone_app, db)
    callbacks.request_callback(db, ticket, _luc(db))
    assert callbacks.number_to_call(db, ticket) == "+15145550101"


def test_the_client_leg_of_an_emailed_ticket_dials_the_contact_s_number(
    phone_app: Flask, db: Session
) -> None:
    ticket = _emailed_by_marie(phone_app, db)
    luc = _luc(db)
    request = callbacks.request_callback(db, ticket, luc)
    db.commit()
    query = f"?ticket={ticket.id}&staff={luc.id}&request={request.request_id}"
    leg = {"CallSid": "CA" + "5" * 32, "To": "+15145550171", "Digits": "1"}
    connect = signed_post(phone_app, f"/voice/callback/connect{query}", leg)
    number = ET.fromstring(connect.get_data(as_text=True)).find("Dial/Number")
    assert number is not None and number.text == "+15145550101"


def test_a_ticket_with_no_number_and_no_contact_is_refused_by_its_number(
    phone_app: Flask, db: Session
) -> None:
    ticket = _anonymous_call(db)
    with pytest.raises(callbacks.CallbackRefused) as refused:
        callbacks.request_callback(db, ticket, _luc(db))
    assert refused.value.key == "no_number_to_call"
    assert str(refused.value) == f"ticket {ticket.number} has no phone number to call back"


def test_a_callback_whose_contact_numbers_were_removed_since_never_rings_the_technician(
    phone_app: Flask, db: Session
) -> None:
    ticket = _emailed_by_marie(phone_app, db)
    request = callbacks.request_callback(db, ticket, _luc(db))
    db.execute(delete(ContactPhone).where(ContactPhone.contact_id == ticket.contact_id))
    db.commit()
    twilio = RecordingTwilioHttp()
    callbacks.place_callback(helpdesk(phone_app).replace(twilio_http=twilio), request.request_id)
    assert twilio.requests == []
    db.expire_all()
    failed = db.get(CallbackRequest, request.id)
    assert failed is not None
    assert (failed.state, failed.last_error) == (CallbackState.FAILED, "no number to call")


def test_an_anonymous_call_attached_to_a_contact_names_their_number_in_the_notice(
    phone_app: Flask, db: Session
) -> None:
    context: Context = helpdesk(phone_app)
    ticket = _anonymous_call(db)
    jacques = _contact(db, "Jacques Bouchard")
    tickets.settle_verification(
        db,
        context.hours,
        ticket,
        client_id=jacques.client_id,
        contact_id=jacques.id,
        staff_member_id=_luc(db).id,
    )
    db.commit()
    facts = staff_notices.facts(db, context, ticket, "fr")
    assert "Contact : Jacques Bouchard, +15145550103" in (
        context.notices.render("ticket_body", "fr", **facts)
    )
    assert "Jacques Bouchard +15145550103." in context.notices.render("ticket_sms", "fr", **facts)


def test_an_emailed_tickets_notice_names_the_number_to_call_back(
    phone_app: Flask, db: Session
) -> None:
    context: Context = helpdesk(phone_app)
    ticket = _emailed_by_marie(phone_app, db)
    facts = staff_notices.facts(db, context, ticket, "fr")
    assert "Contact : Marie Tremblay, +15145550101" in (
        context.notices.render("ticket_body", "fr", **facts)
    )
