"""The /voice blueprint and what every webhook of it shares: the call, its language, TwiML."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request, url_for
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from ivr import calllog, prompts
from ivr.signature import check_signature, public_base
from models import Call, Language
from routing.config import BusinessHours
from web.database import db_session

log = logging.getLogger("ivr")

bp = Blueprint("ivr", __name__, url_prefix="/voice")
bp.before_request(check_signature)

# Caller-supplied values are cut to this before anything looks at them.
MAX_FIELD = 200
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def field(name: str, limit: int = MAX_FIELD) -> str:
    """A form value from Twilio: control characters removed, cut to ``limit``."""
    return _UNSAFE.sub("", request.form.get(name, ""))[:limit].strip()


def arg(name: str, default: int = 0) -> int:
    """A small number the app wrote into its own URL (a counter, an id)."""
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else default


def twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def url(endpoint: str, **params: Any) -> str:
    """An absolute URL Twilio will request (and sign) for the next step of the call."""
    path = url_for(endpoint)
    kept = {key: value for key, value in params.items() if value is not None}
    return f"{public_base()}{path}" + (f"?{urlencode(kept)}" if kept else "")


def hours() -> BusinessHours:
    business_hours: BusinessHours = current_app.extensions["business_hours"]
    return business_hours


@dataclass
class Turn:
    """One webhook of one call: its row, language and voice."""

    call: Call
    speaker: prompts.Speaker
    first_sight: bool = False  # this request made the call's row

    @property
    def language(self) -> str:
        return self.call.language.value if self.call.language else "fr"

    def say(self, response: Any, key: str, **values: Any) -> None:
        self.speaker.say(response, key, self.language, **values)

    def event(self, kind: str, **data: Any) -> None:
        calllog.record(self.call, kind, **data)


def speaker() -> prompts.Speaker:
    config = current_app.config
    return prompts.Speaker({"fr": config["VOICE_FR"], "en": config["VOICE_EN"]})


def current_turn() -> Turn | None:
    """The call this webhook belongs to, or None when Twilio sent no CallSid."""
    sid = field("CallSid", 64)
    if not sid:
        return None
    call, first_sight = calllog.find_or_start(db_session(), sid)
    return Turn(call, speaker(), first_sight)


def call_step(view: Callable[[Turn], Response]) -> Callable[[], Response]:
    """A webhook that is a step of a call: the view gets the call's Turn; a request without a
    CallSid gets a polite end instead of an error."""

    @functools.wraps(view)
    def step() -> Response:
        turn = current_turn()
        if turn is None:
            return polite_end()
        return view(turn)

    return step


def set_language(turn: Turn, language: str, why: str) -> None:
    turn.call.language = Language(language)
    turn.event("language_chosen", language=language, why=why)


def polite_end(language: str = "fr") -> Response:
    """The answer to a request that cannot be served: an apology, never silence or a 500."""
    response = VoiceResponse()
    talk = speaker()
    talk.say(response, "technical_difficulty", language)
    talk.say(response, "goodbye", language)
    response.hangup()
    return twiml(response)


@bp.errorhandler(Exception)
def _on_error(error: Exception) -> Response | HTTPException:
    if isinstance(error, HTTPException):
        return error
    log.exception("voice webhook %s failed (CallSid %s)", request.path, field("CallSid", 64))
    try:
        db_session().rollback()
    except Exception:  # the database itself is what failed: the caller still gets an answer
        log.warning("rollback after the failure failed too")
    if request.endpoint == "ivr.recorded" or request.args.get("after_error"):
        # A recording is safe at Twilio; and a second failure must not loop: say goodbye.
        return polite_end()
    response = VoiceResponse()
    talk = speaker()
    talk.say(response, "technical_difficulty", "fr")
    talk.say(response, "technical_difficulty", "en")
    response.redirect(url("ivr.voicemail", after_error=1))
    return twiml(response)
