"""Urgent support, the CATA: the team on call rung at once, each screened by a whisper."""

from __future__ import annotations

from sqlalchemy import select
from twilio.twiml.voice_response import VoiceResponse

from helpdesk import phone, tickets
from ivr import speech
from ivr.steps import Step, Turn, bp, call_step, leg_step
from ivr.twiml import announce_closed, arg, field, polite_end, record_message, text_arg, url
from models import Call, Line, StaffMember, Ticket
from routing.duty import Person

RING_SECONDS = 20


@bp.post("/urgent")
@call_step
def urgent(turn: Turn) -> VoiceResponse:
    response = VoiceResponse()
    contact = phone.authorized_contact(turn.session, turn.call)
    if contact is None:
        response.redirect(url("ivr.account", line="urgent"))
        return response
    # ``contact`` stays referenced, so the session's (weak) identity map keeps it for the ticket.
    opened = phone.open_support_ticket(turn.session, turn.hours, turn.call, Line.URGENT)
    ticket, status = opened.ticket, opened.status
    people = phone.reachable_team(turn.session, turn.hours, ticket) if status.is_open else []
    if people:
        _ring(turn, response, ticket, people)
        return response
    if status.is_open:
        phone.nobody_to_ring(turn.call)
        turn.say(response, "urgent_nobody")
    else:
        announce_closed(turn.speaker, response, turn.language, status, turn.hours, "urgent")
    turn.say(response, "ticket_opened", number=speech.digits(ticket.number))
    turn.say(response, "urgent_record")
    record_message(response, turn.voice.max_recording_seconds, "urgent")
    return response


def _ring(turn: Turn, response: VoiceResponse, ticket: Ticket, people: list[Person]) -> None:
    """Ring everyone at once; each hears a whisper and only a 1 connects."""
    phone.ring_team(turn.session, turn.call, people)
    turn.say(response, "ticket_opened", number=speech.digits(ticket.number))
    turn.say(response, "urgent_connecting")
    dial = response.dial(
        action=url("ivr.dialed"),
        timeout=RING_SECONDS,
        answer_on_bridge=True,
        caller_id=turn.settings.sender_number,
    )
    for person in people:
        assert person.mobile is not None
        dial.number(
            person.mobile, url=url("ivr.whisper", staff=person.id, parent=turn.call.call_sid)
        )


@bp.post("/whisper")
@leg_step
def whisper(step: Step) -> VoiceResponse:
    """What a technician hears on answering, before the caller is connected."""
    person = step.session.get(StaffMember, arg("staff"))
    parent = _parent_call(step)
    ticket = step.session.get(Ticket, parent.ticket_id) if parent and parent.ticket_id else None
    if person is None or ticket is None:
        return polite_end(step.speaker)
    language = person.language.value
    response = VoiceResponse()
    answer_url = url("ivr.whisper_answer", staff=person.id, parent=text_arg("parent"))
    gather = response.gather(num_digits=1, timeout=8, action=answer_url)
    client, contact = tickets.parties(step.session, ticket)
    step.speaker.say(
        gather,
        "whisper",
        language,
        number=speech.digits(ticket.number),
        client=client or step.speaker.text("unknown_client", language),
        contact=contact or step.speaker.text("unknown_contact", language),
    )
    # No key at all (a voicemail, a pocket): recorded as refused, and the leg hangs up.
    response.redirect(answer_url)
    return response


@bp.post("/whisper/answer")
@leg_step
def whisper_answer(step: Step) -> VoiceResponse:
    rung = phone.rung_for(step.session, text_arg("parent"), arg("staff"))
    if rung is None:
        return polite_end(step.speaker)
    parent, person = rung
    response = VoiceResponse()
    digits, leg = field("Digits", 10), field("CallSid", 64)
    if phone.whisper_answered(step.session, parent, person.id, digits, leg):
        return response  # an empty answer: Twilio connects this technician
    step.speaker.say(response, "whisper_declined", person.language.value)
    response.hangup()
    return response


def _parent_call(step: Step) -> Call | None:
    sid = text_arg("parent")
    if not sid:
        return None
    return step.session.scalars(select(Call).where(Call.call_sid == sid)).first()


@bp.post("/urgent/dialed")
@call_step
def dialed(turn: Turn) -> VoiceResponse:
    """The ring group ended: connected to whoever pressed 1, or the caller leaves a message."""
    response = VoiceResponse()
    status, child = field("DialCallStatus", 20), field("DialCallSid", 64)
    if phone.ring_group_ended(turn.session, turn.call, status, child) is not None:
        response.hangup()
        return response
    turn.say(response, "urgent_nobody")
    turn.say(response, "urgent_record")
    record_message(response, turn.voice.max_recording_seconds, "urgent")
    return response
