"""Support on the phone: regular support (option 6) and the CATA, tickets, messages, whispers."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from helpdesk import business_time, follow_up, tickets
from helpdesk.senders import sender_number
from ivr import calllog, speech
from ivr.prompts import text
from ivr.web import Turn, arg, bp, current_turn, field, hours, polite_end, speaker, twiml, url
from models import (
    Call,
    Channel,
    Client,
    Contact,
    Language,
    Line,
    StaffMember,
    Ticket,
    utcnow,
)
from queueing import outbox
from routing import sla
from routing.calendar import Reason, Status
from routing.duty import Person, Unstaffed
from web.database import db_session

RING_SECONDS = 20
HOURS_PROMPTS = {Line.REGULAR: "hours_regular", Line.URGENT: "hours_cata"}
RECORD_PROMPTS = {Line.REGULAR: "record_problem", Line.URGENT: "urgent_record"}
PROMISE_PROMPTS = {Line.REGULAR: "callback_by", Line.URGENT: "urgent_callback_by"}


def _authorized_contact(turn: Turn) -> Contact | None:
    """The caller, when the directory names them an authorized contact."""
    contact = db_session().get(Contact, turn.call.contact_id) if turn.call.contact_id else None
    return contact if contact is not None and contact.authorized else None


def _record(turn: Turn, response: VoiceResponse, kind: str, **params: Any) -> None:
    """Record a message; silence or a hang-up still reaches the same handler."""
    response.record(
        action=url("ivr.recorded", kind=kind, **params),
        max_length=int(current_app.config["RECORDING_MAX_SECONDS"]),
        finish_on_key="#",
        play_beep=True,
        timeout=6,
    )
    response.redirect(url("ivr.recorded", kind=kind, empty=1, **params))


# -- regular support ----------------------------------------------------------------------------


@bp.post("/regular")
def regular() -> Response:
    turn = current_turn()
    if turn is None:
        return polite_end()
    response = VoiceResponse()
    contact = _authorized_contact(turn)
    if contact is None:
        response.redirect(url("ivr.account", line="regular"))
        return twiml(response)
    session = db_session()
    waiting = [t for t in tickets.open_tickets_of(session, contact) if t.id != turn.call.ticket_id]
    if waiting and turn.call.ticket_id is None and not arg("new"):
        gather = response.gather(
            num_digits=1, timeout=6, action=url("ivr.existing", ticket=waiting[0].id)
        )
        turn.say(gather, "existing_ticket", number=speech.digits(waiting[0].number))
        response.redirect(url("ivr.regular", new=1))
        return twiml(response)
    _open_and_take_message(turn, response, Line.REGULAR)
    session.commit()
    return twiml(response)


@bp.post("/regular/existing")
def existing() -> Response:
    turn = current_turn()
    if turn is None:
        return polite_end()
    ticket = db_session().get(Ticket, arg("ticket"))
    response = VoiceResponse()
    if field("Digits", 10) != "1" or ticket is None or ticket.contact_id != turn.call.contact_id:
        response.redirect(url("ivr.regular", new=1))
        return twiml(response)
    turn.event("option_chosen", destination="add_to_ticket", ticket=ticket.number)
    turn.say(response, "record_addition")
    _record(turn, response, "addition", ticket=ticket.id)
    db_session().commit()
    return twiml(response)


def _open_and_take_message(turn: Turn, response: VoiceResponse, line: Line) -> None:
    ticket, status = open_for_call(db_session(), turn, line)
    if not status.is_open:
        _announce_closed(turn, response, status, line)
    turn.say(response, "ticket_opened", number=speech.digits(ticket.number))
    turn.say(response, RECORD_PROMPTS[line])
    _record(turn, response, line.value)


def open_for_call(session: Session, turn: Turn, line: Line) -> tuple[Ticket, Status]:
    """The call's ticket (opened once, however often Twilio asks), and the line's status now."""
    rule = hours().line(line.value)
    now = utcnow()
    calendar = business_time.calendar_for(session, hours(), rule.schedule, now)
    status = calendar.status(now)
    call = turn.call
    if call.ticket_id is not None:
        ticket = session.get(Ticket, call.ticket_id)
        assert ticket is not None
        return ticket, status
    contact = session.get(Contact, call.contact_id) if call.contact_id else None
    client = session.get(Client, call.client_id) if call.client_id else None
    ticket = tickets.open_ticket(
        session,
        priority=line,
        channel=Channel.PHONE,
        language=call.language or Language.FR,
        client=client,
        contact=contact,
        requester=call.from_number,
        subject=f"{contact.name if contact else call.from_number} ({line.value})",
        sla_due_at=sla.deadline(calendar, now, rule.callback_within),
        opened_at=now,
    )
    call.ticket_id = ticket.id
    call.outcome = "message" if status.is_open else "after_hours"
    turn.event("ticket_opened", number=ticket.number, line=line.value)
    if not status.is_open:
        holiday = status.holiday.code if status.holiday else None
        turn.event("closed", reason=status.reason.value if status.reason else None, holiday=holiday)
    return ticket, status


def _announce_closed(turn: Turn, response: VoiceResponse, status: Status, line: Line) -> None:
    if status.holiday is not None:
        turn.say(response, "closed_holiday", holiday=status.holiday.name(turn.language))
    elif status.reason in (Reason.CLOSURE, Reason.MANUAL):
        turn.say(response, "closed_closure")
    else:
        turn.say(response, "closed_now")
    schedule = hours().schedule(hours().line(line.value).schedule)
    turn.say(response, HOURS_PROMPTS[line], hours=speech.hours(schedule, turn.language))


# -- urgent support: the CATA -------------------------------------------------------------------


@bp.post("/urgent")
def urgent() -> Response:
    turn = current_turn()
    if turn is None:
        return polite_end()
    response = VoiceResponse()
    if _authorized_contact(turn) is None:
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
            _announce_closed(turn, response, status, Line.URGENT)
        turn.say(response, "ticket_opened", number=speech.digits(ticket.number))
        turn.say(response, "urgent_record")
        _record(turn, response, "urgent")
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
    client = session.get(Client, ticket.client_id) if ticket.client_id else None
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    speaker().say(
        gather,
        "whisper",
        language,
        number=speech.digits(ticket.number),
        client=client.name if client else text("unknown_client", language),
        contact=contact.name if contact else text("unknown_contact", language),
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
def dialed() -> Response:
    """The ring group ended: connected to whoever pressed 1, or the caller leaves a message."""
    turn = current_turn()
    if turn is None:
        return polite_end()
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
        _record(turn, response, "urgent")
    session.commit()
    return twiml(response)


# -- messages -------------------------------------------------------------------------------------


@bp.post("/recorded")
def recorded() -> Response:
    turn = current_turn()
    if turn is None:
        return polite_end()
    kind = request.args.get("kind", "voicemail")
    message = _message(turn)
    finish = FINISHERS.get(kind, _finish_voicemail)
    response = VoiceResponse()
    finish(turn, response, message)
    turn.say(response, "goodbye")
    response.hangup()
    db_session().commit()
    return twiml(response)


def _message(turn: Turn) -> dict[str, Any] | None:
    """The recording Twilio made, or None when the caller left nothing."""
    recording_url = field("RecordingUrl", 500)
    if arg("empty") or not recording_url:
        turn.event("no_message")
        return None
    seconds = field("RecordingDuration", 10)
    message: dict[str, Any] = {
        "recording_url": recording_url,
        "seconds": int(seconds) if seconds.isdigit() else 0,
        "recording_sid": field("RecordingSid", 64),
    }
    turn.call.recording_url, turn.call.recording_seconds = recording_url, message["seconds"]
    turn.event("message_recorded", seconds=message["seconds"])
    return message


def _add_message(ticket: Ticket, message: dict[str, Any] | None) -> None:
    if message is None:
        return
    seen = {e.data.get("recording_sid") for e in ticket.events if e.kind == "message"}
    if message["recording_sid"] not in seen or not message["recording_sid"]:
        tickets.note(ticket, "message", **message)


def _finish_support(turn: Turn, response: VoiceResponse, message: dict[str, Any] | None) -> None:
    ticket = db_session().get(Ticket, turn.call.ticket_id) if turn.call.ticket_id else None
    if ticket is None:
        _finish_voicemail(turn, response, message)
        return
    _add_message(ticket, message)
    finish_support_ticket(turn.call)
    turn.say(response, "message_saved" if message else "no_message")
    now = utcnow().astimezone(hours().timezone)
    assert ticket.sla_due_at is not None
    turn.say(
        response,
        PROMISE_PROMPTS[ticket.priority],
        when=speech.when(ticket.sla_due_at, now, turn.language),
    )


def _finish_addition(turn: Turn, response: VoiceResponse, message: dict[str, Any] | None) -> None:
    session = db_session()
    ticket = session.get(Ticket, arg("ticket"))
    if ticket is None or ticket.contact_id != turn.call.contact_id or message is None:
        turn.say(response, "no_message")
        return
    _add_message(ticket, message)
    turn.call.ticket_id, turn.call.outcome = ticket.id, "message"
    staff = (
        [ticket.assignee_id]
        if ticket.assignee_id
        else follow_up.people_on_duty(session, hours(), ticket.priority, ticket)
    )
    outbox.add(
        session,
        "ticket.notify",
        {
            "ticket_id": ticket.id,
            "staff_ids": staff,
            "notice": "addition",
            "tag": f"-{turn.call.call_sid}",
        },
        key=f"ticket-{ticket.id}-addition-{turn.call.call_sid}",
    )
    turn.say(response, "message_added", number=speech.digits(ticket.number))


def _finish_verify(turn: Turn, response: VoiceResponse, message: dict[str, Any] | None) -> None:
    """A message from someone the directory does not authorize: a ticket for a supervisor."""
    turn.call.outcome = "unauthorized"
    if message is None:
        turn.say(response, "no_message")
        return
    _to_verify(turn, message, client_id=arg("client") or None, account=request.args.get("account"))
    turn.say(response, "will_verify")


def _finish_voicemail(turn: Turn, response: VoiceResponse, message: dict[str, Any] | None) -> None:
    turn.call.outcome = turn.call.outcome or "message"
    if message is None:
        turn.say(response, "no_message")
        return
    _to_verify(turn, message, client_id=turn.call.client_id, account=None)
    turn.say(response, "message_saved")


def _to_verify(
    turn: Turn, message: dict[str, Any], client_id: int | None, account: str | None
) -> None:
    session = db_session()
    call = turn.call
    ticket = session.get(Ticket, call.ticket_id) if call.ticket_id else None
    if ticket is None:
        client = session.get(Client, client_id) if client_id else None
        contact = session.get(Contact, call.contact_id) if call.contact_id else None
        ticket = tickets.open_ticket(
            session,
            priority=call.line or Line.REGULAR,
            channel=Channel.PHONE,
            language=call.language or Language.FR,
            client=client,
            contact=contact,
            requester=call.from_number,
            subject=f"{call.from_number}: message",
            to_verify=True,
        )
        call.ticket_id = ticket.id
        turn.event("ticket_opened", number=ticket.number, to_verify=True)
        if account:
            tickets.note(ticket, "account_given", account=account[:20])
    _add_message(ticket, message)
    outbox.add(session, "ticket.verify", {"ticket_id": ticket.id}, key=f"ticket-{ticket.id}-verify")


FINISHERS = {
    "regular": _finish_support,
    "urgent": _finish_support,
    "addition": _finish_addition,
    "verify": _finish_verify,
    "voicemail": _finish_voicemail,
}


def finish_support_ticket(call: Call) -> None:
    """Queue what the call's support ticket sets going (once), unless a technician took it."""
    if call.ticket_id is None or call.outcome == "connected":
        return
    if any(e.kind == "callback_queued" for e in call.events):
        return  # done on an earlier step of this call
    session = db_session()
    ticket = session.get(Ticket, call.ticket_id)
    if ticket is None or ticket.to_verify:
        return
    rung = [e.data["staff_ids"] for e in call.events if e.kind == "technicians_rung"]
    staff_ids = (
        rung[-1] if rung else follow_up.people_on_duty(session, hours(), ticket.priority, ticket)
    )
    follow_up.queue_support_follow_up(session, hours(), current_app.config, ticket, staff_ids)
    calllog.record(call, "callback_queued", staff_ids=staff_ids)
