"""A call arrives: greeting, language, the menu, and the end of the call (status, fallback)."""

from __future__ import annotations

from flask import Response, current_app, request
from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr import calllog, menu
from ivr.callers import identify
from ivr.messages import finish_support_ticket
from ivr.web import (
    Turn,
    arg,
    bp,
    call_step,
    field,
    set_language,
    speaker,
    twiml,
    url,
)
from models import Contact, Language, Line, utcnow
from web.database import db_session

ENGLISH_KEY = "9"
FINAL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}


@bp.post("/incoming")
@call_step
def incoming(turn: Turn) -> Response:
    if turn.first_sight:
        _arrive(turn)
    response = VoiceResponse()
    cata = turn.call.line == Line.URGENT
    if turn.call.language is None:
        gather = response.gather(num_digits=1, timeout=3, action=url("ivr.language"))
        turn.say(gather, "cata_welcome" if cata else "welcome")
        speaker().say(gather, "language_offer", "en", digit=ENGLISH_KEY)
        response.redirect(url("ivr.language"))
    else:
        turn.say(response, "cata_welcome" if cata else "welcome")
        response.redirect(url("ivr.urgent" if cata else "ivr.menu"))
    db_session().commit()
    return twiml(response)


def _arrive(turn: Turn) -> None:
    """First sight of a call: who is calling, on which line."""
    call = turn.call
    call.from_number, call.to_number = field("From", 64), field("To", 64)
    caller = identify(db_session(), call.from_number)
    if caller.contact is not None:
        call.contact_id, call.client_id = caller.contact.id, caller.contact.client_id
        call.language = caller.contact.language
    cata_numbers = current_app.config["CATA_NUMBERS"]
    call.line = Line.URGENT if call.to_number in cata_numbers else None
    turn.event(
        "arrived",
        line="cata" if call.line else "main",
        known=caller.contact is not None,
        authorized=caller.authorized,
    )


@bp.post("/language")
@call_step
def language(turn: Turn) -> Response:
    digits = field("Digits", 10)
    chosen = "en" if digits == ENGLISH_KEY else "fr"
    set_language(turn, chosen, why="key" if digits == ENGLISH_KEY else "default")
    response = VoiceResponse()
    if turn.call.line == Line.URGENT:
        response.redirect(url("ivr.urgent"))
    elif digits and digits != ENGLISH_KEY:
        # An impatient caller who pressed a menu key during the greeting is taken at their word.
        response.redirect(url("ivr.choice", pressed=digits[:1]))
    else:
        response.redirect(url("ivr.menu"))
    db_session().commit()
    return twiml(response)


@bp.post("/menu", endpoint="menu")
@call_step
def menu_prompt(turn: Turn) -> Response:
    the_menu = menu.load()
    silent, invalid = arg("silent"), arg("invalid")
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf speech",
        num_digits=1,
        timeout=the_menu.timeout_seconds,
        action=url("ivr.choice", silent=silent, invalid=invalid),
        hints=the_menu.hints(),
        language="fr-CA" if turn.language == "fr" else "en-CA",
        speech_timeout="auto",
    )
    _say_options(turn, gather, the_menu)
    # No input: say so and repeat, at most ``no_input_repeats`` times, then the voicemail.
    turn.say(response, "no_input")
    if silent + 1 > the_menu.no_input_repeats:
        turn.say(response, "to_voicemail")
        response.redirect(url("ivr.voicemail", reason="no_input"))
    else:
        response.redirect(url("ivr.menu", silent=silent + 1, invalid=invalid))
    return twiml(response)


def _say_options(turn: Turn, gather: Gather, the_menu: menu.Menu) -> None:
    for option in the_menu.options:
        if option.destination == "language":
            other = "en" if turn.language == "fr" else "fr"
            speaker().say(gather, option.prompt, other, digit=option.digit)
        else:
            turn.say(gather, option.prompt, digit=option.digit)


@bp.post("/menu/choice")
@call_step
def choice(turn: Turn) -> Response:
    the_menu = menu.load()
    silent, invalid = arg("silent"), arg("invalid")
    digits = field("Digits", 10) or _pressed_before_menu()
    speech = field("SpeechResult")
    response = VoiceResponse()
    if not digits and not speech:
        response.redirect(url("ivr.menu", silent=silent + 1, invalid=invalid))
        return twiml(response)
    option = the_menu.choose(digits, speech)
    if option is None:
        turn.event("invalid_input", digits=digits, heard=bool(speech))
        turn.say(response, "invalid_choice")
        if invalid + 1 >= the_menu.invalid_tries:
            turn.say(response, "to_voicemail")
            response.redirect(url("ivr.voicemail", reason="invalid"))
        else:
            response.redirect(url("ivr.menu", silent=silent, invalid=invalid + 1))
        db_session().commit()
        return twiml(response)
    turn.event("option_chosen", destination=option.destination, key=digits or None)
    response.redirect(_destination(turn, option.destination, invalid))
    db_session().commit()
    return twiml(response)


def _pressed_before_menu() -> str:
    pressed = request.args.get("pressed", "")
    return pressed if pressed in menu.VALID_KEYS else ""


def _destination(turn: Turn, destination: str, invalid: int) -> str:
    if destination == "language":
        chosen = "en" if turn.language == "fr" else "fr"
        set_language(turn, chosen, why="menu")
        contact = db_session().get(Contact, turn.call.contact_id) if turn.call.contact_id else None
        if contact is not None:  # remembered for the next call
            contact.language = Language(chosen)
        return url("ivr.menu", invalid=invalid)
    if destination == "repeat":
        return url("ivr.menu", invalid=invalid)
    return url(f"ivr.{destination}")


@bp.post("/status")
def status() -> Response:
    """Twilio's status callback: the call's final status and duration."""
    sid = field("CallSid", 64)
    if not sid:
        return twiml(VoiceResponse())
    session = db_session()
    call, _ = calllog.find_or_start(session, sid)
    raw = field("CallStatus", 40)
    call.status = raw if raw in calllog.CALL_STATUSES else "unknown"
    duration = field("CallDuration", 10)
    if duration.isdigit():
        call.duration_seconds = int(duration)
    if call.status in FINAL_STATUSES:
        call.ended_at = call.ended_at or utcnow()
        call.outcome = call.outcome or "abandoned"
        calllog.record(call, "hung_up", status=raw[:40])
        finish_support_ticket(call)
    session.commit()
    return twiml(VoiceResponse())


@bp.post("/fallback")
def fallback() -> Response:
    """Twilio's fallback URL: the main handler failed; apologize and take a message."""
    response = VoiceResponse()
    talk = speaker()
    talk.say(response, "technical_difficulty", "fr")
    talk.say(response, "technical_difficulty", "en")
    talk.say(response, "voicemail", "fr")
    response.record(
        action=url("ivr.recorded", kind="voicemail", after_error=1),
        play_beep=True,
        max_length=int(current_app.config["RECORDING_MAX_SECONDS"]),
        finish_on_key="#",
    )
    talk.say(response, "goodbye", "fr")
    response.hangup()
    return twiml(response)


@bp.post("/static")
def static() -> Response:
    """A fixed answer, signature-checked like the others: the floor the benchmark measures."""
    response = VoiceResponse()
    response.say("AltiLogix", voice=current_app.config["VOICE_FR"], language="fr-CA")
    response.hangup()
    return twiml(response)
