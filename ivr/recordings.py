"""The end of a message: what the caller left is stored and sets its ticket going; they hear
what happens next."""

from __future__ import annotations

from collections.abc import Callable

from twilio.twiml.voice_response import VoiceResponse

from helpdesk import phone
from ivr import speech
from ivr.steps import Turn, bp, call_step
from ivr.twiml import arg, field, record_message, text_arg
from models import Line, Ticket, current_time
from web import inputs

PROMISE_PROMPTS = {Line.REGULAR: "callback_by", Line.URGENT: "urgent_callback_by"}
# Silence at the beep gets one more try, counted in the URL; then what the flow says without a
# message. Not after a failure: that answer is fixed TwiML, which asks for nothing more.
RECORD_TRIES = 2
RECORDED_AGAIN = {"regular", "urgent", "addition", "verify", "voicemail"}


@bp.post("/recorded")
@call_step
def recorded(turn: Turn) -> VoiceResponse:
    message = _message()
    kind = "after_error" if arg("after_error") else text_arg("kind", 20)
    finish = FINISHERS.get(kind, _side_message)
    response = VoiceResponse()
    if message is None and _may_try_again(kind):
        _record_again(turn, response, kind)
        return response
    finish(turn, response, message)
    turn.say(response, "goodbye")
    response.hangup()
    return response


def _message() -> phone.Message | None:
    """The recording Twilio made, or None when the caller left nothing."""
    recording_url = field("RecordingUrl", 500)
    if arg("empty") or not recording_url:
        return None
    seconds = field("RecordingDuration", 10)
    return phone.Message(
        url=recording_url,
        seconds=inputs.whole_number(seconds) or 0,
        sid=field("RecordingSid", 64),
    )


def _may_try_again(kind: str) -> bool:
    """A caller still on the line who left nothing, with a try left."""
    on_the_line = field("CallStatus", 40) != "completed"  # a hang-up at the beep is no silence
    return kind in RECORDED_AGAIN and arg("tries") + 1 < RECORD_TRIES and on_the_line


def _record_again(turn: Turn, response: VoiceResponse, kind: str) -> None:
    """The beep once more, for the same message (its ticket, its client)."""
    phone.nothing_recorded_yet(turn.call)
    turn.say(response, "no_message")
    turn.say(response, "record_again")
    record_message(
        response,
        turn.voice.max_recording_seconds,
        kind,
        tries=arg("tries") + 1,
        ticket=arg("ticket") or None,
        client=arg("client") or None,
    )


def _support(turn: Turn, response: VoiceResponse, message: phone.Message | None) -> None:
    ticket = phone.support_message(turn.session, turn.call, message)
    if ticket is None:
        _side_message(turn, response, message)
        return
    turn.say(response, "message_saved" if message else "no_message")
    # Said before the beep too; again here, where the caller listens for what happens next.
    turn.say(response, "ticket_reminder", number=speech.digits(ticket.number))
    _promise(turn, response, ticket)


def _promise(turn: Turn, response: VoiceResponse, ticket: Ticket) -> None:
    assert ticket.sla_due_at is not None
    now = current_time(turn.session).astimezone(turn.hours.timezone)
    when = speech.when(turn.speaker.catalog, ticket.sla_due_at, now, turn.language)
    turn.say(response, PROMISE_PROMPTS[ticket.priority], when=when)
    phone.promise_given(turn.call, ticket)


def _addition(turn: Turn, response: VoiceResponse, message: phone.Message | None) -> None:
    ticket = phone.addition(turn.session, turn.hours, turn.call, arg("ticket"), message)
    if ticket is None:
        turn.say(response, "no_message")
        return
    turn.say(response, "message_added", number=speech.digits(ticket.number))


def _verify(turn: Turn, response: VoiceResponse, message: phone.Message | None) -> None:
    """A message from someone the directory does not authorize: a ticket for a supervisor."""
    ticket = phone.for_verification(turn.session, turn.call, message, arg("client") or None)
    turn.say(response, "will_verify" if ticket else "no_message")


def _side_message(turn: Turn, response: VoiceResponse, message: phone.Message | None) -> None:
    """A message left at the general voicemail or after a failure: an authorized client's
    opens their ticket, whose number and promise they hear; anybody else's waits for a
    supervisor."""
    ticket = phone.message_left(turn.session, turn.hours, turn.call, message)
    if ticket is None or ticket.to_verify or ticket.sla_due_at is None:
        turn.say(response, "message_saved" if ticket else "no_message")
        return
    turn.say(response, "message_saved")
    turn.say(response, "ticket_opened", number=speech.digits(ticket.number))
    _promise(turn, response, ticket)


FINISHERS: dict[str, Callable[[Turn, VoiceResponse, phone.Message | None], None]] = {
    "regular": _support,
    "urgent": _support,
    "addition": _addition,
    "verify": _verify,
    "voicemail": _side_message,
    "after_error": _side_message,
}
