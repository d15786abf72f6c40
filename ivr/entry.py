"""A call arrives: greeting, language, the menu, and the end of the call (status, fallback)."""

from __future__ import annotations

import logging

from flask import Response, request
from twilio.twiml.voice_response import Gather, VoiceResponse

from helpdesk import phone
from ivr import menu
from ivr.steps import Turn, after_failure, bp, call_step, failed_step, prompt_step
from ivr.twiml import arg, field, url
from models import Language, Line

ENGLISH_KEY = "9"
log = logging.getLogger("ivr")


@bp.post("/incoming")
@prompt_step
def incoming(turn: Turn) -> VoiceResponse:
    response = VoiceResponse()
    cata = turn.call.line == Line.URGENT
    if turn.call.language is None:
        gather = response.gather(num_digits=1, timeout=3, action=url("ivr.language"))
        turn.say(gather, "cata_welcome" if cata else "welcome")
        turn.speaker.say(gather, "language_offer", "en", digit=ENGLISH_KEY)
        response.redirect(url("ivr.language"))
    else:
        turn.say(response, "cata_welcome" if cata else "welcome")
        response.redirect(url("ivr.urgent" if cata else "ivr.menu"))
    return response


@bp.post("/language")
@prompt_step
def language(turn: Turn) -> VoiceResponse:
    digits = field("Digits", 10)
    chosen = Language.EN if digits == ENGLISH_KEY else Language.FR
    why = "key" if digits == ENGLISH_KEY else "default"
    phone.choose_language(turn.call, chosen, why)
    response = VoiceResponse()
    if turn.call.line == Line.URGENT:
        response.redirect(url("ivr.urgent"))
    elif digits and digits != ENGLISH_KEY:
        # An impatient caller who pressed a menu key during the greeting is taken at their word.
        response.redirect(url("ivr.choice", pressed=digits[:1]))
    else:
        # The other language was just offered: the menu's first reading does not offer it again.
        response.redirect(url("ivr.menu", offered=1))
    return response


@bp.post("/menu", endpoint="menu")
@prompt_step
def menu_prompt(turn: Turn) -> VoiceResponse:
    the_menu = turn.voice.menu
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
    _say_options(turn, gather, the_menu, skip_language=bool(arg("offered")) and silent == 0)
    _no_input(turn, response, silent, invalid)  # the gather ended with nothing: Twilio goes on
    return response


def _no_input(turn: Turn, response: VoiceResponse, silent: int, invalid: int) -> None:
    """No input: say so and repeat, at most ``no_input_repeats`` times, then the voicemail."""
    turn.say(response, "no_input")
    if silent + 1 > turn.voice.menu.no_input_repeats:
        turn.say(response, "to_voicemail")
        response.redirect(url("ivr.voicemail", reason="no_input"))
    else:
        response.redirect(url("ivr.menu", silent=silent + 1, invalid=invalid))


def _say_options(turn: Turn, gather: Gather, the_menu: menu.Menu, skip_language: bool) -> None:
    for option in the_menu.options:
        if option.destination == "language" and skip_language:
            continue  # its key still works: the menu's choices are all kept
        if option.destination == "language":
            other = "en" if turn.language == "fr" else "fr"
            turn.speaker.say(gather, option.prompt, other, digit=option.digit)
        else:
            turn.say(gather, option.prompt, digit=option.digit)


@bp.post("/menu/choice")
@prompt_step
def choice(turn: Turn) -> VoiceResponse:
    the_menu = turn.voice.menu
    silent, invalid = arg("silent"), arg("invalid")
    digits = field("Digits", 10) or _pressed_before_menu()
    speech = field("SpeechResult")
    response = VoiceResponse()
    if not digits and not speech:  # the gather's action posted empty (speech not understood)
        _no_input(turn, response, silent, invalid)
        return response
    option = the_menu.choose(digits, speech)
    if option is None:
        phone.invalid_input(turn.call, digits, bool(speech))
        turn.say(response, "invalid_choice")
        if invalid + 1 >= the_menu.invalid_tries:
            turn.say(response, "to_voicemail")
            response.redirect(url("ivr.voicemail", reason="invalid"))
        else:
            response.redirect(url("ivr.menu", silent=silent, invalid=invalid + 1))
        return response
    phone.option_chosen(turn.call, option.destination, key=digits or None)
    response.redirect(_destination(turn, option.destination, invalid))
    return response


def _pressed_before_menu() -> str:
    pressed = request.args.get("pressed", "")
    return pressed if pressed in menu.VALID_KEYS else ""


def _destination(turn: Turn, destination: str, invalid: int) -> str:
    if destination == "language":
        chosen = Language.EN if turn.language == "fr" else Language.FR
        phone.choose_language(turn.call, chosen, "menu")
        return url("ivr.menu", invalid=invalid)
    if destination == "repeat":
        return url("ivr.menu", invalid=invalid)
    return url(menu.STEPS[destination])


@bp.post("/status")
@call_step
def status(turn: Turn) -> VoiceResponse:
    """Twilio's status callback of an inbound call: its final status and duration."""
    phone.call_ended(turn.session, turn.call, field("CallStatus", 40), field("CallDuration", 10))
    return VoiceResponse()


@bp.post("/fallback")
def fallback() -> Response:
    """Twilio's fallback URL: a step of the call got no answer (Twilio names it in ``ErrorUrl``).
    The caller hears what that step's own failure would have said: a message they left is kept,
    not asked for again; anywhere else, an apology and the voicemail."""
    endpoint, args = failed_step(field("ErrorUrl", 2000))
    log.warning("Twilio turned to the fallback URL after %s", endpoint or "an unknown URL")
    return after_failure(endpoint, args)
