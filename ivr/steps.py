"""The /voice blueprint and the shape of every webhook: one signed request, one unit of work.

A step decorator opens the transaction, finds the call, hands the view a ``Turn`` and commits
before Twilio hears the answer, so what the answer promises is stored. Anything that fails gets
the last-resort answer, which needs neither the catalog nor the database.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, Response, current_app, request
from sqlalchemy import inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

import log_fields
from helpdesk import calllog, phone, replay
from helpdesk.context import Context
from ivr import twiml
from ivr.prompts import Speaker
from models import Call, Ticket, utcnow
from queueing import spool
from routing.config import BusinessHours
from settings import Settings
from telephony.signature import check_signature, public_base
from web import context as web_context
from web import inputs

log = logging.getLogger("ivr")

bp = Blueprint("ivr", __name__, url_prefix="/voice")
VOICE = "ivr"  # the app's extension that holds the phone line's voice (ivr.routes.register)

# How many spooled webhooks a web process writes back after one of its answers, and how old
# they must be: the worker writes them back within seconds when the database returns; the web
# process only takes over the ones a worker did not (a host without a worker), so that it stays
# free for the calls that come in at that moment.
WEB_REPLAY_LIMIT = 2
WEB_REPLAY_AFTER_SECONDS = 30.0
bp.before_request(check_signature)


@dataclass(frozen=True)
class Step:
    """One webhook: its transaction, and what the call flows speak with."""

    session: Session
    context: Context
    voice: twiml.Voice

    @property
    def settings(self) -> Settings:
        return self.context.settings

    @property
    def hours(self) -> BusinessHours:
        return self.context.hours

    @property
    def speaker(self) -> Speaker:
        return self.voice.speaker


@dataclass(frozen=True)
class Turn(Step):
    """One webhook of one call: the call's row, and its language."""

    call: Call
    first_sight: bool = False  # this request made the call's row

    @property
    def language(self) -> str:
        return self.call.language.value if self.call.language else "fr"

    def say(self, verb: Any, key: str, **values: Any) -> None:
        self.voice.speaker.say(verb, key, self.language, **values)

    def text(self, key: str, **values: Any) -> str:
        return self.voice.speaker.text(key, self.language, **values)


def helpdesk_context() -> Context:
    return web_context.current()


def voice() -> twiml.Voice:
    the_voice: twiml.Voice = current_app.extensions[VOICE]
    return the_voice


def call_step(view: Callable[[Turn], VoiceResponse]) -> Callable[[], Response]:
    """A webhook that is a step of a call and opens or settles something (a ticket, a message,
    the call's end): the call's row is locked for the step, so copies of it take turns. The view
    gets the call's Turn; a request without a CallSid gets a polite end instead of an error."""
    return _step(view, lock=True)


def prompt_step(view: Callable[[Turn], VoiceResponse]) -> Callable[[], Response]:
    """A step of a call that only says something and notes it (greeting, menu, a prompt): its
    copies answer alike without taking turns, so it takes no lock."""
    return _step(view, lock=False)


def _step(view: Callable[[Turn], VoiceResponse], *, lock: bool) -> Callable[[], Response]:
    @functools.wraps(view)
    def step() -> Response:
        context, the_voice = helpdesk_context(), voice()
        sid = twiml.field("CallSid", 64)
        if not sid:
            return twiml.answer(twiml.polite_end(the_voice.speaker))
        with context.transaction() as session:
            call, first_sight = calllog.find_or_start(session, sid, lock=lock)
            if first_sight:
                _arrive(session, call, context)
            log_fields.note(ticket=call.ticket_number)
            response = view(Turn(session, context, the_voice, call, first_sight))
            _about_ticket(session, call)  # the one this step opened
        answer = twiml.answer(response)
        if spool.pending(Path(context.settings.spool_dir)):
            # The database is back: what was kept meanwhile is written once Twilio has its answer.
            answer.call_on_close(lambda: _replay_quietly(context))
        return answer

    return step


def _about_ticket(session: Session, call: Call) -> None:
    """The webhook's own line carries the ticket a step opened: its number came back with its
    INSERT, so the session holds it (read without a statement more)."""
    if call.ticket_id is None or call.ticket_number is not None:
        return
    ticket = session.identity_map.get(identity_key(Ticket, call.ticket_id))
    number = inspect(ticket).dict.get("number") if ticket is not None else None
    if number is not None:
        log_fields.note(ticket=number)


def _replay_quietly(context: Context) -> None:
    try:
        # A few per webhook: the worker writes the rest, and this web process stays free to
        # answer the calls that come in once the database is back.
        replay.replay_spool(context, limit=WEB_REPLAY_LIMIT, older_than=WEB_REPLAY_AFTER_SECONDS)
    except Exception as error:  # the worker and the next webhook will try again
        log.warning("spool replay failed: %s", type(error).__name__)


def _arrive(session: Session, call: Call, context: Context) -> None:
    from_raw, to_raw = twiml.field("From", 64), twiml.field("To", 64)
    phone.arrive(session, call, from_raw, to_raw, context.settings.cata_numbers)


def leg_step(view: Callable[[Step], VoiceResponse]) -> Callable[[], Response]:
    """A webhook of a leg the app placed or forwarded (a technician's): one unit of work."""

    @functools.wraps(view)
    def step() -> Response:
        context = helpdesk_context()
        with context.transaction() as session:
            response = view(Step(session, context, voice()))
        return twiml.answer(response)

    return step


# What a failed step keeps in the spool for the database (None: nothing to keep), and what it
# answers: a caller leaves a message; a technician's leg says goodbye (never "leave a message");
# a status callback gets an empty answer.
ON_FAILURE: dict[str, tuple[str | None, str]] = {
    "ivr.recorded": ("message", "saved"),
    "ivr.status": ("status", "empty"),
    "ivr.dialed": ("dialed", "last_resort"),
    "ivr.callback_answered": ("callback_answered", "empty"),
    "ivr.callback_status": ("callback_status", "empty"),
    "ivr.whisper": (None, "goodbye"),
    "ivr.whisper_answer": (None, "goodbye"),
    "ivr.callback_technician": (None, "goodbye"),
    "ivr.callback_connect": (None, "goodbye"),
    "ivr.callback_done": (None, "goodbye"),
}


@bp.errorhandler(Exception)
def _on_error(error: Exception) -> Response | HTTPException:
    if isinstance(error, HTTPException):
        return error
    log.error(
        "voice webhook %s failed: %s (CallSid %s)",
        request.path,
        type(error).__name__,
        twiml.field("CallSid", 64),
        exc_info=error,
    )
    return after_failure(request.endpoint or "", request.args)


def after_failure(endpoint: str, args: Mapping[str, str]) -> Response:
    """The answer to a step of the call that failed (``args``: those the app wrote into its URL):
    what it brought is kept in the spool when it matters, and the caller hears why."""
    spooled_as, answer = ON_FAILURE.get(endpoint, (None, "last_resort"))
    kept = _spool(spooled_as, args) if spooled_as else None
    the_voice = voice()
    # "Your message is saved" only to a caller who left one, and only once it is on disk.
    saved = kept is not None and bool(kept["recording_url"])
    answers = {
        "saved": the_voice.saved_after_error if saved else the_voice.goodbye_after_error,
        "empty": str(VoiceResponse()),
        "goodbye": the_voice.goodbye_after_error,
    }
    text = answers[answer] if answer in answers else twiml.last_resort(the_voice)
    return Response(text, mimetype="text/xml")


def failed_step(error_url: str) -> tuple[str, dict[str, str]]:
    """The step of the call at ``error_url`` (Twilio's ``ErrorUrl``, signed with the request):
    its endpoint and the arguments the app wrote into its URL; no endpoint when it is not one of
    the app's URLs."""
    parts, base = urlsplit(error_url), urlsplit(public_base())
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return "", {}
    path = parts.path.removeprefix(base.path) if base.path else parts.path
    try:
        endpoint, _ = current_app.url_map.bind("app").match(path, method="POST")
    except HTTPException:
        return "", {}
    return str(endpoint), dict(parse_qsl(parts.query))


def _spool(step: str, args: Mapping[str, str]) -> dict[str, Any] | None:
    """Keep what this webhook brought on local disk, for the database when it is back: the
    entry kept, or None."""
    seconds = twiml.field("RecordingDuration", 10)
    entry = {
        # Every copy of the entry carries it: written back once, whichever copy is replayed.
        "id": uuid.uuid4().hex,
        "step": step,
        "call_sid": twiml.field("CallSid", 64),
        "from": twiml.field("From", 64),
        "to": twiml.field("To", 64),
        "kind": twiml.text_arg("kind", 20, args),
        "ticket": twiml.arg("ticket", args=args),
        "client": twiml.arg("client", args=args) or None,
        "request": twiml.text_arg("request", args=args),
        "after_error": bool(twiml.arg("after_error", args=args)),
        "recording_url": "" if twiml.arg("empty", args=args) else twiml.field("RecordingUrl", 500),
        "recording_sid": twiml.field("RecordingSid", 64),
        "seconds": inputs.whole_number(seconds) or 0,
        "status": twiml.field("CallStatus", 40),
        "duration": twiml.field("CallDuration", 10),
        "dial_status": twiml.field("DialCallStatus", 20),
        "dial_sid": twiml.field("DialCallSid", 64),
        "received_at": utcnow().isoformat(),
    }
    if not entry["call_sid"]:
        return None
    try:
        spool.write(Path(helpdesk_context().settings.spool_dir), entry)
    except OSError as error:
        log.error("could not spool the webhook either: %s", type(error).__name__)
        return None
    log.warning("%s of the call kept in the spool, for the database", step)
    return entry
