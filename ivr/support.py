"""Regular support (option 6), and what every support call shares: its ticket, the hours, the
message."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from helpdesk import business_time, tickets
from ivr import speech
from ivr.prompts import text
from ivr.web import Turn, arg, bp, call_step, field, hours, twiml, url
from models import (
    Channel,
    Client,
    Contact,
    Language,
    Line,
    Ticket,
    utcnow,
)
from routing import sla
from routing.calendar import Reason, Status
from web.database import db_session

HOURS_PROMPTS = {Line.REGULAR: "hours_regular", Line.URGENT: "hours_cata"}
RECORD_PROMPTS = {Line.REGULAR: "record_problem", Line.URGENT: "urgent_record"}


def authorized_contact(turn: Turn) -> Contact | None:
    """The caller, when the directory names them an authorized contact."""
    contact = db_session().get(Contact, turn.call.contact_id) if turn.call.contact_id else None
    return contact if contact is not None and contact.authorized else None


def who(session: Session, ticket: Ticket, language: str) -> dict[str, str]:
    """The ticket's client and contact, as a technician hears them."""
    client = session.get(Client, ticket.client_id) if ticket.client_id else None
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    return {
        "client": client.name if client else text("unknown_client", language),
        "contact": contact.name if contact else text("unknown_contact", language),
    }


def record_message(turn: Turn, response: VoiceResponse, kind: str, **params: Any) -> None:
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
@call_step
def regular(turn: Turn) -> Response:
    response = VoiceResponse()
    contact = authorized_contact(turn)
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
@call_step
def existing(turn: Turn) -> Response:
    ticket = db_session().get(Ticket, arg("ticket"))
    response = VoiceResponse()
    if field("Digits", 10) != "1" or ticket is None or ticket.contact_id != turn.call.contact_id:
        response.redirect(url("ivr.regular", new=1))
        return twiml(response)
    turn.event("option_chosen", destination="add_to_ticket", ticket=ticket.number)
    turn.say(response, "record_addition")
    record_message(turn, response, "addition", ticket=ticket.id)
    db_session().commit()
    return twiml(response)


def _open_and_take_message(turn: Turn, response: VoiceResponse, line: Line) -> None:
    ticket, status = open_for_call(db_session(), turn, line)
    if not status.is_open:
        announce_closed(turn, response, status, line)
    turn.say(response, "ticket_opened", number=speech.digits(ticket.number))
    turn.say(response, RECORD_PROMPTS[line])
    record_message(turn, response, line.value)


def open_for_call(session: Session, turn: Turn, line: Line) -> tuple[Ticket, Status]:
    """The call's ticket (opened once, however often Twilio asks), and the line's status now."""
    rule = hours().line(line.value)
    now = utcnow()
    calendar = business_time.calendar_for(session, hours(), rule.schedule, now)
    status = calendar.status(now)
    call = turn.call
    if call.ticket_id is None:
        # Two copies of this webhook at once must not open two tickets: on PostgreSQL the second
        # waits here for the first to commit, then finds its ticket. (SQLite, for development
        # only, has no row locks.)
        session.refresh(call, with_for_update=True)
    if call.ticket_id is not None:
        ticket = session.get(Ticket, call.ticket_id)
        assert ticket is not None
        return ticket, status
    contact = session.get(Contact, call.contact_id) if call.contact_id else None
    ticket = tickets.open_ticket(
        session,
        priority=line,
        channel=Channel.PHONE,
        language=call.language or Language.FR,
        client_id=call.client_id,
        contact_id=call.contact_id,
        requester=call.from_number,
        subject=f"{contact.name if contact else call.from_number} ({line.value})",
        sla_due_at=sla.deadline(calendar, now, rule.callback_within),
        opened_at=now,
    )
    call.ticket_id, call.line = ticket.id, line  # the support line the caller reached
    call.outcome = "message" if status.is_open else "after_hours"
    turn.event("ticket_opened", number=ticket.number, line=line.value)
    if not status.is_open:
        holiday = status.holiday.code if status.holiday else None
        turn.event("closed", reason=status.reason.value if status.reason else None, holiday=holiday)
    return ticket, status


def announce_closed(turn: Turn, response: VoiceResponse, status: Status, line: Line) -> None:
    if status.holiday is not None:
        turn.say(response, "closed_holiday", holiday=status.holiday.name(turn.language))
    elif status.reason in (Reason.CLOSURE, Reason.MANUAL):
        turn.say(response, "closed_closure")
    else:
        turn.say(response, "closed_now")
    schedule = hours().schedule(hours().line(line.value).schedule)
    turn.say(response, HOURS_PROMPTS[line], hours=speech.hours(schedule, turn.language))
