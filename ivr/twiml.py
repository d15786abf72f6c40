"""What the call flows share to read Twilio's request and write TwiML: form fields, the URLs of
the next steps, the voice, recording a message, saying the hours, the apologies."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Response, request, url_for
from twilio.twiml.voice_response import VoiceResponse

from i18n import Catalog
from ivr import speech
from ivr.menu import Menu
from ivr.prompts import LOCALES, Speaker
from routing.calendar import Reason, Status
from routing.config import BusinessHours
from telephony.signature import public_base
from web import inputs

# Caller-supplied values are cut to this before anything looks at them.
MAX_FIELD = 200
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")

HOURS_PROMPTS = {"regular": "hours_regular", "urgent": "hours_cata"}


@dataclass(frozen=True)
class Voice:
    """The phone line's words, checked at start-up: the speaker, the menu, and the apologies
    already rendered, so that the last-resort answer looks nothing up."""

    speaker: Speaker
    menu: Menu
    apologies: tuple[tuple[str, str, str], ...]  # (text, voice, locale): what is said first
    goodbye_after_error: str  # complete TwiML
    saved_after_error: str  # complete TwiML: the message is kept, goodbye
    max_recording_seconds: int
    goodbye: tuple[str, str, str]

    @classmethod
    def build(
        cls, catalog: Catalog, menu: Menu, voices: dict[str, str], max_recording_seconds: int
    ) -> Voice:
        speaker = Speaker(catalog, voices)
        said = [("technical_difficulty", "fr"), ("technical_difficulty", "en"), ("voicemail", "fr")]
        apologies = tuple(
            (catalog.render(key, lang), voices[lang], LOCALES[lang]) for key, lang in said
        )
        # Said after a failure, when the caller's language may be unknown: French, then English.
        goodbye = VoiceResponse()
        for key in ("technical_difficulty", "goodbye"):
            speaker.say(goodbye, key, "fr")
            speaker.say(goodbye, key, "en")
        goodbye.hangup()
        saved = VoiceResponse()
        for key in ("message_saved", "goodbye"):
            speaker.say(saved, key, "fr")
            speaker.say(saved, key, "en")
        saved.hangup()
        goodbye_fr = (catalog.render("goodbye", "fr"), voices["fr"], LOCALES["fr"])
        return cls(
            speaker, menu, apologies, str(goodbye), str(saved), max_recording_seconds, goodbye_fr
        )


def field(name: str, limit: int = MAX_FIELD) -> str:
    """A form value from Twilio: control characters removed, cut to ``limit``."""
    return _UNSAFE.sub("", request.form.get(name, ""))[:limit].strip()


def arg(name: str, default: int = 0, args: Mapping[str, str] | None = None) -> int:
    """A small number the app wrote into its own URL (a counter, an id); ``args``: another
    URL's, where not this request's."""
    given = request.args if args is None else args
    value = inputs.whole_number(given.get(name, ""), largest=999_999_999)
    return default if value is None else value


def text_arg(name: str, limit: int = 64, args: Mapping[str, str] | None = None) -> str:
    """A word the app wrote into its own URL, cleaned like a form value."""
    given = request.args if args is None else args
    return _UNSAFE.sub("", given.get(name, ""))[:limit]


def answer(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def url(endpoint: str, **params: Any) -> str:
    """An absolute URL Twilio will request (and sign) for the next step of the call."""
    path = url_for(endpoint)
    kept = {key: value for key, value in params.items() if value is not None}
    return f"{public_base()}{path}" + (f"?{urlencode(kept)}" if kept else "")


def record_message(response: VoiceResponse, max_seconds: int, kind: str, **params: Any) -> None:
    """Record a message; silence or a hang-up still reaches the same handler."""
    response.record(
        action=url("ivr.recorded", kind=kind, **params),
        max_length=max_seconds,
        finish_on_key="#",
        play_beep=True,
        timeout=6,
    )
    response.redirect(url("ivr.recorded", kind=kind, empty=1, **params))


def announce_closed(
    speaker: Speaker,
    response: VoiceResponse,
    language: str,
    status: Status,
    hours: BusinessHours,
    line: str,
) -> None:
    """Why the line is closed (the holiday's name first), then its hours."""
    if status.holiday is not None:
        speaker.say(response, "closed_holiday", language, holiday=status.holiday.name(language))
    elif status.reason in (Reason.CLOSURE, Reason.MANUAL):
        speaker.say(response, "closed_closure", language)
    else:
        speaker.say(response, "closed_now", language)
    schedule = hours.schedule(hours.line(line).schedule)
    spoken = speech.hours(speaker.catalog, schedule, language)
    speaker.say(response, HOURS_PROMPTS[line], language, hours=spoken)


def polite_end(speaker: Speaker, language: str = "fr") -> VoiceResponse:
    """The answer to a request that cannot be served: an apology, never silence or a 500."""
    response = VoiceResponse()
    speaker.say(response, "technical_difficulty", language)
    speaker.say(response, "goodbye", language)
    response.hangup()
    return response


def last_resort(voice: Voice) -> str:
    """After a failure (and as Twilio's fallback URL): the apology in both languages, and the
    caller leaves a message, recorded by Twilio whatever is down here."""
    response = VoiceResponse()
    for text, name, locale in voice.apologies:
        response.say(text, voice=name, language=locale)
    response.record(
        action=url("ivr.recorded", kind="voicemail", after_error=1),
        play_beep=True,
        max_length=voice.max_recording_seconds,
        finish_on_key="#",
    )
    goodbye_text, goodbye_voice, goodbye_locale = voice.goodbye
    response.say(goodbye_text, voice=goodbye_voice, language=goodbye_locale)
    response.hangup()
    return str(response)
