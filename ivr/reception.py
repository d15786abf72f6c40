"""Callers the directory does not authorize (their account number, a contact's personal code),
the reception (option 0) and the general voicemail."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from helpdesk import phone
from ivr import menu, speech
from ivr.steps import Turn, bp, call_step, prompt_step
from ivr.twiml import announce_closed, arg, field, record_message, text_arg, url
from models import Client, Line
from phones import parse_caller_id

ACCOUNT_TRIES = 2
SUPPORT_TAKES_MESSAGE = {Line.REGULAR: "to_regular_support", Line.URGENT: "to_urgent_support"}
# Why a message goes to a supervisor → what the caller hears before the beep. Only a known
# number of a contact the client has not designated is told that only designated people may ask.
BEFORE_THE_BEEP = {
    "not_authorized": "unauthorized",
    "not_identified": "not_identified",
    "unknown_account": "unknown_account",
    "no_account": "no_account",
}


def _line() -> Line:
    return Line.URGENT if text_arg("line", 10) == "urgent" else Line.REGULAR


@bp.post("/account")
@prompt_step
def account(turn: Turn) -> VoiceResponse:
    """Ask for the client's account number (keys, # to finish)."""
    line, tries = _line(), arg("tries")
    response = VoiceResponse()
    action = url("ivr.account_entered", line=line.value, tries=tries)
    gather = response.gather(input="dtmf", finish_on_key="#", timeout=8, action=action)
    turn.say(gather, "account_prompt")
    response.redirect(action)
    return response


@bp.post("/account/entered")
@call_step
def account_entered(turn: Turn) -> VoiceResponse:
    line, tries = _line(), arg("tries")
    digits = "".join(c for c in field("Digits", 40) if c.isdigit())[:20]
    response = VoiceResponse()
    if not digits and tries + 1 < ACCOUNT_TRIES:
        turn.say(response, "account_no_input")
        response.redirect(url("ivr.account", line=line.value, tries=tries + 1))
        return response
    client = phone.account_given(turn.session, turn.call, line, digits)
    if client is not None and phone.asks_for_code(turn.session, turn.call, client):
        response.redirect(url("ivr.code", line=line.value))
        return response
    _message_to_verify(turn, response, client, keyed=bool(digits))
    return response


def _message_to_verify(
    turn: Turn, response: VoiceResponse, client: Client | None, *, keyed: bool = True
) -> None:
    """Before the beep, why the message goes to a supervisor (helpdesk.phone.why_to_verify)."""
    why = phone.why_to_verify(turn.session, turn.call, client, keyed=keyed)
    turn.say(response, BEFORE_THE_BEEP[why])
    max_seconds = turn.voice.max_recording_seconds
    record_message(response, max_seconds, "verify", client=client.id if client else None)


@bp.post("/account/code")
@prompt_step
def code(turn: Turn) -> VoiceResponse:
    """Ask a caller not on file for their personal code (4 keys, # to finish)."""
    action = url("ivr.code_entered", line=_line().value)
    response = VoiceResponse()
    gather = response.gather(input="dtmf", finish_on_key="#", timeout=8, action=action)
    turn.say(gather, "code_prompt")
    response.redirect(action)
    return response


@bp.post("/account/code/entered")
@call_step
def code_entered(turn: Turn) -> VoiceResponse:
    """A contact's code makes the call theirs, and it goes on as for a caller known by number;
    a wrong one may be keyed again (3 tries a call); none, and it is a message to verify."""
    line = _line()
    keyed = "".join(c for c in field("Digits", 40) if c.isdigit())[:20]
    response = VoiceResponse()
    if keyed:
        answer = phone.code_given(turn.session, turn.call, keyed)
        if answer.contact is not None:
            response.redirect(url(menu.STEPS[line.value]))
            return response
        turn.say(response, "code_refused")
        if answer.tries_left > 0:
            response.redirect(url("ivr.code", line=line.value))
            return response
    _message_to_verify(turn, response, phone.account_client(turn.session, turn.call))
    return response


@bp.post("/reception")
@prompt_step
def reception(turn: Turn) -> VoiceResponse:
    """Ring the office during office hours; otherwise, the general voicemail."""
    status = phone.line_status(turn.session, turn.hours, "office")
    office_number = turn.settings.office_number
    response = VoiceResponse()
    if status.is_open and office_number:
        turn.say(response, "reception_connecting")
        # The reception sees who calls; a withheld number shows the support line's instead.
        caller_id = parse_caller_id(turn.call.from_number) or turn.settings.sender_number
        dial = response.dial(action=url("ivr.reception_dialed"), timeout=20, caller_id=caller_id)
        dial.number(office_number)
        return response
    if status.is_open:  # open, but no number to ring (OFFICE_NUMBER): not said to be closed
        turn.say(response, "reception_unavailable")
        response.redirect(url("ivr.voicemail", reason="reception_unavailable"))
        return response
    phone.closed(turn.call, status)
    office = speech.hours(turn.speaker.catalog, turn.hours.schedule("office"), turn.language)
    turn.say(response, "reception_closed", hours=office)
    response.redirect(url("ivr.voicemail", reason="reception_closed"))
    return response


@bp.post("/reception/dialed")
@call_step
def reception_dialed(turn: Turn) -> VoiceResponse:
    response = VoiceResponse()
    connected = field("DialCallStatus", 20) == "completed"
    phone.reception_result(turn.call, connected)
    if connected:
        response.hangup()
    else:
        response.redirect(url("ivr.voicemail", reason="reception_no_answer"))
    return response


@bp.post("/voicemail")
@prompt_step
def voicemail(turn: Turn) -> VoiceResponse:
    """The general voicemail (menu silence, wrong keys, the reception closed or not answering):
    an authorized contact's message goes to their support line, with its promise; anybody
    else's becomes a ticket for a supervisor to verify."""
    phone.to_voicemail(turn.call, text_arg("reason", 30))
    response = VoiceResponse()
    if phone.authorized_contact(turn.session, turn.call) is None:
        turn.say(response, "voicemail")
    else:
        _to_support(turn, response, phone.message_line(turn.call))
    record_message(response, turn.voice.max_recording_seconds, "voicemail")
    return response


def _to_support(turn: Turn, response: VoiceResponse, line: Line) -> None:
    """Before the beep, an authorized contact hears where their message goes (and, the line
    being closed, its hours: its promise counts from the next opening)."""
    status = phone.line_status(turn.session, turn.hours, turn.hours.line(line.value).schedule)
    if not status.is_open:
        announce_closed(turn.speaker, response, turn.language, status, turn.hours, line.value)
    turn.say(response, SUPPORT_TAKES_MESSAGE[line])
    turn.say(response, "record_problem" if line == Line.REGULAR else "urgent_record")
