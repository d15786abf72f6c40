"""Urgent support, the CATA: the team on call rung at once, each screened by a whisper."""

from __future__ import annotations

from flask import Response, current_app, request
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from helpdesk import business_time, tickets
from helpdesk.senders import sender_number
from ivr import calllog, speech
from ivr.support import announce_closed, authorized_contact, open_for_call, record_message, who
from ivr.web import (
    Turn,
    arg,
    bp,
    call_step,
    field,
    hours,
    polite_end,
    speaker,
    twiml,
    url,
)
from models import (
    Call,
    Line,
    StaffMember,
    Ticket,
)
from routing.duty import Person, Unstaffed
from web.database import db_session

RING_SECONDS = 20


@bp.post("/urgent")
@call_step
def urgent(turn: Turn) -> Response:
    response = VoiceResponse()
    if authorized_contact(turn) is None:
        response.redirect(url("ivr.account", line="urgent"))
        return twiml(response)
    session = db_session()
    ticket, status = open_for_call(session, turn, Line.URGENT)
    people = _reachable(session, ticket) if status.is_open else []
    if not people:
        if status.is_open:
            turn.event("no_answer", why="nobody on duty with a mobile")
            turn.say(response, "urgent_nobody")
        else:
            announce_closed(turn, response, status, Line.URGENT)
        turn.say(response, "ticket_opened", number=speech.digits(ticket.number))
        turn.say(response, "urgent_record")
        record_message(turn, response, "urgent")
    else:
        _ring(turn, response, ticket, people)
    session.commit()
    return twiml(response)


def _reachable(session: Session, ticket: Ticket) -> list[Person]:
    try:
        people = business_time.on_duty(session, hours(), "urgent", ticket.created_at)
    except Unstaffed:
        return []
    return [p for p in people if p.mobile]


def _ring(turn: Turn, response: VoiceResponse, ticket: Ticket, people: list[Person]) -> None:
    """Ring everyone at once; each hears a whisper and only a 1 connects."""
    turn.event("technicians_rung", staff_ids=[p.id for p in people])
    turn.say(response, "ticket_opened", number=speech.digits(ticket.number))
    turn.say(response, "urgent_connecting")
    dial = response.dial(
        action=url("ivr.dialed"),
        timeout=RING_SECONDS,
        answer_on_bridge=True,
        caller_id=sender_number(current_app.config),
    )
    for person in people:
        assert person.mobile is not None
        dial.number(
            person.mobile, url=url("ivr.whisper", staff=person.id, parent=turn.call.call_sid)
        )


@bp.post("/whisper")
def whisper() -> Response:
    """What a technician hears on answering, before the caller is connected."""
    session = db_session()
    person = session.get(StaffMember, arg("staff"))
    parent = _parent_call(session)
    ticket = session.get(Ticket, parent.ticket_id) if parent and parent.ticket_id else None
    if person is None or ticket is None:
        return polite_end()
    language = person.language.value
    response = VoiceResponse()
    answer_url = url("ivr.whisper_answer", staff=person.id, parent=request.args.get("parent", ""))
    gather = response.gather(num_digits=1, timeout=8, action=answer_url)
    speaker().say(
        gather,
        "whisper",
        language,
        number=speech.digits(ticket.number),
        **who(session, ticket, language),
    )
    # No key at all (a voicemail, a pocket): recorded as refused, and the leg hangs up.
    response.redirect(answer_url)
    return twiml(response)


@bp.post("/whisper/answer")
def whisper_answer() -> Response:
    session = db_session()
    person = session.get(StaffMember, arg("staff"))
    parent = _parent_call(session)
    if person is None or parent is None:
        return polite_end()
    response = VoiceResponse()
    if field("Digits", 10) == "1":
        calllog.record(parent, "whisper_accepted", staff_id=person.id, child=field("CallSid", 64))
        session.commit()
        return twiml(response)  # an empty answer: Twilio connects this technician
    calllog.record(parent, "whisper_refused", staff_id=person.id, digits=field("Digits", 10))
    session.commit()
    speaker().say(response, "whisper_declined", person.language.value)
    response.hangup()
    return twiml(response)


def _parent_call(session: Session) -> Call | None:
    sid = request.args.get("parent", "")[:64]
    return session.scalars(select(Call).where(Call.call_sid == sid)).first() if sid else None


@bp.post("/urgent/dialed")
@call_step
def dialed(turn: Turn) -> Response:
    """The ring group ended: connected to whoever pressed 1, or the caller leaves a message."""
    session = db_session()
    status, child = field("DialCallStatus", 20), field("DialCallSid", 64)
    accepted = [e for e in turn.call.events if e.kind == "whisper_accepted"]
    winner = next((e for e in accepted if e.data.get("child") == child), None)
    winner = winner or (accepted[0] if accepted else None)
    response = VoiceResponse()
    ticket = session.get(Ticket, turn.call.ticket_id) if turn.call.ticket_id else None
    if status == "completed" and winner is not None and ticket is not None:
        staff_id = int(winner.data["staff_id"])
        tickets.assign(ticket, staff_id, why="accepted the CATA call")
        tickets.first_response(ticket, winner.at, staff_id)
        turn.call.outcome = "connected"
        turn.event("connected", staff_id=staff_id)
        response.hangup()
    else:
        turn.event("no_answer", dial_status=status or "none", accepted=len(accepted))
        turn.say(response, "urgent_nobody")
        turn.say(response, "urgent_record")
        record_message(turn, response, "urgent")
    session.commit()
    return twiml(response)
