"""A callback's call flow: the technician hears the ticket, presses 1, and the client rings.

Twilio placed this call for the worker (``helpdesk.callbacks``); it is an outbound call, and
its status goes to its own route, never to the inbound call log's. The moment the client
answers is the ticket's first response: what the SLA measures.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from helpdesk import callbacks, tickets
from ivr import speech
from ivr.steps import Step, bp, leg_step
from ivr.twiml import field, polite_end, text_arg, url
from models import Call, CallbackRequest, StaffMember, Ticket, current_time

ANSWERED = {"in-progress", "answered"}


def _request(step: Step) -> tuple[CallbackRequest, Ticket, StaffMember] | None:
    request = callbacks.find(step.session, text_arg("request"))
    if request is None:
        return None
    ticket = step.session.get(Ticket, request.ticket_id)
    staff = step.session.get(StaffMember, request.staff_member_id)
    return (request, ticket, staff) if ticket and staff else None


def _query(request: CallbackRequest) -> dict[str, object]:
    return {
        "ticket": request.ticket_id,
        "staff": request.staff_member_id,
        "request": request.request_id,
    }


@bp.post("/callback/technician")
@leg_step
def callback_technician(step: Step) -> VoiceResponse:
    found = _request(step)
    if found is None:
        return polite_end(step.speaker)
    request, ticket, staff = found
    callbacks.technician_answered(callbacks.leg(step.session, request, field("CallSid", 64)))
    language = staff.language.value
    response = VoiceResponse()
    gather = response.gather(
        num_digits=1, timeout=10, action=url("ivr.callback_connect", **_query(request))
    )
    client, _ = tickets.parties(step.session, ticket)
    step.speaker.say(
        gather,
        "callback_intro",
        language,
        number=speech.digits(ticket.number),
        client=client or step.speaker.text("unknown_client", language),
    )
    step.speaker.say(response, "goodbye", language)
    response.hangup()
    return response


@bp.post("/callback/connect")
@leg_step
def callback_connect(step: Step) -> VoiceResponse:
    found = _request(step)
    number = callbacks.number_to_call(step.session, found[1]) if found else None
    if found is None or field("Digits", 10) != "1" or number is None:
        return polite_end(step.speaker, found[2].language.value if found else "fr")
    request, _ticket, staff = found
    callbacks.dialing_client(
        step.session, request, callbacks.leg(step.session, request, field("CallSid", 64))
    )
    response = VoiceResponse()
    step.speaker.say(response, "callback_connecting", staff.language.value)
    dial = response.dial(
        action=url("ivr.callback_done", **_query(request)),
        caller_id=step.settings.sender_number,
        timeout=30,
    )
    dial.number(
        number,
        status_callback_event="answered",
        status_callback=url("ivr.callback_answered", **_query(request)),
    )
    return response


@bp.post("/callback/answered")
@leg_step
def callback_answered(step: Step) -> VoiceResponse:
    """The client's leg answered (its own CallSid): the first response, at this moment."""
    found = _request(step)
    if found is not None and field("CallStatus", 20) in ANSWERED:
        request = found[0]
        call = step.session.get(Call, request.call_id) if request.call_id else None
        callbacks.client_answered(step.session, request, call, current_time(step.session))
    return VoiceResponse()


@bp.post("/callback/done")
@leg_step
def callback_done(step: Step) -> VoiceResponse:
    found = _request(step)
    response = VoiceResponse()
    status = field("DialCallStatus", 20)
    if found is not None and status != "completed":
        request, _, staff = found
        call = callbacks.leg(step.session, request, field("CallSid", 64))
        callbacks.client_not_reached(step.session, request, call, status)
        step.speaker.say(response, "callback_not_reached", staff.language.value)
    response.hangup()
    return response


@bp.post("/callback/status")
@leg_step
def callback_status(step: Step) -> VoiceResponse:
    """Twilio's status callback of the technician's leg: the outbound call's end."""
    found = _request(step)
    sid = field("CallSid", 64)
    if found is not None and sid:
        call = callbacks.leg(step.session, found[0], sid)
        callbacks.leg_ended(found[0], call, field("CallStatus", 40), field("CallDuration", 10))
    return VoiceResponse()
