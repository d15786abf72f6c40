"""The callback's call flow: the technician hears the ticket, presses 1, and the client rings.

The moment the client answers is the ticket's first response: what the SLA measures.
"""

from __future__ import annotations

from flask import Response, current_app
from twilio.twiml.voice_response import VoiceResponse

from helpdesk import tickets
from helpdesk.senders import sender_number
from ivr import speech
from ivr.support import who
from ivr.web import arg, bp, field, polite_end, speaker, twiml, url
from models import StaffMember, Ticket, utcnow
from web.database import db_session

ANSWERED = {"in-progress", "answered"}


def _ticket_and_staff() -> tuple[Ticket | None, StaffMember | None]:
    session = db_session()
    return session.get(Ticket, arg("ticket")), session.get(StaffMember, arg("staff"))


@bp.post("/callback/technician")
def callback_technician() -> Response:
    ticket, staff = _ticket_and_staff()
    if ticket is None or staff is None:
        return polite_end()
    language = staff.language.value
    response = VoiceResponse()
    gather = response.gather(
        num_digits=1,
        timeout=10,
        action=url("ivr.callback_connect", ticket=ticket.id, staff=staff.id),
    )
    speaker().say(
        gather,
        "callback_intro",
        language,
        number=speech.digits(ticket.number),
        client=who(db_session(), ticket, language)["client"],
    )
    speaker().say(response, "goodbye", language)
    response.hangup()
    return twiml(response)


@bp.post("/callback/connect")
def callback_connect() -> Response:
    ticket, staff = _ticket_and_staff()
    if ticket is None or staff is None or field("Digits", 10) != "1" or not ticket.requester:
        return polite_end(staff.language.value if staff else "fr")
    response = VoiceResponse()
    speaker().say(response, "callback_connecting", staff.language.value)
    dial = response.dial(
        action=url("ivr.callback_done", ticket=ticket.id, staff=staff.id),
        caller_id=sender_number(current_app.config),
        timeout=30,
    )
    dial.number(
        ticket.requester,
        status_callback_event="answered",
        status_callback=url("ivr.callback_answered", ticket=ticket.id, staff=staff.id),
    )
    tickets.note(ticket, "callback_dialing", staff_member_id=staff.id)
    db_session().commit()
    return twiml(response)


@bp.post("/callback/answered")
def callback_answered() -> Response:
    ticket, staff = _ticket_and_staff()
    if ticket is not None and staff is not None and field("CallStatus", 20) in ANSWERED:
        tickets.first_response(ticket, utcnow(), staff.id)
        db_session().commit()
    return twiml(VoiceResponse())


@bp.post("/callback/done")
def callback_done() -> Response:
    ticket, staff = _ticket_and_staff()
    response = VoiceResponse()
    if ticket is not None and staff is not None and field("DialCallStatus", 20) != "completed":
        tickets.note(ticket, "callback_not_reached", staff_member_id=staff.id)
        speaker().say(response, "callback_not_reached", staff.language.value)
        db_session().commit()
    response.hangup()
    return twiml(response)
