"""Callers the directory does not authorize, the reception (option 0) and the general voicemail."""

from __future__ import annotations

from flask import Response, current_app, request
from sqlalchemy import select
from twilio.twiml.voice_response import VoiceResponse

from helpdesk import business_time
from helpdesk.senders import sender_number
from ivr import speech
from ivr.callers import parse_caller_id
from ivr.support import record_message
from ivr.web import Turn, arg, bp, call_step, field, hours, twiml, url
from models import Client, utcnow
from web.database import db_session

ACCOUNT_TRIES = 2


@bp.post("/account")
@call_step
def account(turn: Turn) -> Response:
    """Ask for the client's account number (keys, # to finish)."""
    line, tries = request.args.get("line", "regular")[:10], arg("tries")
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf",
        finish_on_key="#",
        timeout=8,
        action=url("ivr.account_entered", line=line, tries=tries),
    )
    turn.say(gather, "account_prompt")
    response.redirect(url("ivr.account_entered", line=line, tries=tries))
    return twiml(response)


@bp.post("/account/entered")
@call_step
def account_entered(turn: Turn) -> Response:
    line, tries = request.args.get("line", "regular")[:10], arg("tries")
    digits = "".join(c for c in field("Digits", 40) if c.isdigit())[:20]
    response = VoiceResponse()
    if not digits and tries + 1 < ACCOUNT_TRIES:
        turn.say(response, "no_input")
        response.redirect(url("ivr.account", line=line, tries=tries + 1))
        return twiml(response)
    session = db_session()
    client = (
        session.scalars(select(Client).where(Client.account == digits)).first() if digits else None
    )
    turn.event("unauthorized", line=line, account=digits or None, known_account=client is not None)
    turn.say(response, "unauthorized" if client else "unknown_account")
    record_message(
        turn, response, "verify", client=client.id if client else None, account=digits or None
    )
    session.commit()
    return twiml(response)


@bp.post("/reception")
@call_step
def reception(turn: Turn) -> Response:
    """Ring the office during office hours; otherwise, the general voicemail."""
    session = db_session()
    now = utcnow()
    status = business_time.calendar_for(session, hours(), "office", now).status(now)
    office_number = current_app.config["OFFICE_NUMBER"]
    response = VoiceResponse()
    if status.is_open and office_number:
        turn.say(response, "reception_connecting")
        # The reception sees who calls; a withheld number shows the support line's instead.
        caller_id = parse_caller_id(turn.call.from_number) or sender_number(current_app.config)
        dial = response.dial(action=url("ivr.reception_dialed"), timeout=20, caller_id=caller_id)
        dial.number(office_number)
    else:
        turn.event("closed", reason=status.reason.value if status.reason else "no_office_number")
        office = speech.hours(hours().schedule("office"), turn.language)
        turn.say(response, "reception_closed", hours=office)
        response.redirect(url("ivr.voicemail", reason="reception_closed"))
    session.commit()
    return twiml(response)


@bp.post("/reception/dialed")
@call_step
def reception_dialed(turn: Turn) -> Response:
    response = VoiceResponse()
    if field("DialCallStatus", 20) == "completed":
        turn.call.outcome = "connected"
        turn.event("connected", to="reception")
        response.hangup()
    else:
        turn.event("no_answer", to="reception")
        response.redirect(url("ivr.voicemail", reason="reception_no_answer"))
    db_session().commit()
    return twiml(response)


@bp.post("/voicemail")
@call_step
def voicemail(turn: Turn) -> Response:
    """The general voicemail: its messages become tickets for a supervisor to verify."""
    turn.event("voicemail", reason=request.args.get("reason", "")[:30])
    response = VoiceResponse()
    turn.say(response, "voicemail")
    record_message(turn, response, "voicemail")
    db_session().commit()
    return twiml(response)
