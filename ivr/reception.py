"""Callers the directory does not authorize, the reception (option 0) and the general voicemail."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from helpdesk import phone
from ivr import speech
from ivr.steps import Turn, bp, call_step, prompt_step
from ivr.twiml import arg, field, record_message, text_arg, url
from models import Line
from phones import parse_caller_id

ACCOUNT_TRIES = 2


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
        turn.say(response, "no_input")
        response.redirect(url("ivr.account", line=line.value, tries=tries + 1))
        return response
    client = phone.account_given(turn.session, turn.call, line, digits)
    turn.say(response, "unauthorized" if client else "unknown_account")
    max_seconds = turn.voice.max_recording_seconds
    record_message(response, max_seconds, "verify", client=client.id if client else None)
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
    phone.closed(turn.call, status.reason.value if status.reason else "no_office_number")
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
    """The general voicemail: its messages become tickets for a supervisor to verify."""
    phone.to_voicemail(turn.call, text_arg("reason", 30))
    response = VoiceResponse()
    turn.say(response, "voicemail")
    record_message(response, turn.voice.max_recording_seconds, "voicemail")
    return response
