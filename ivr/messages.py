"""Messages callers leave, and what each sets going: a ticket's follow-up, or a verification."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from twilio.twiml.voice_response import VoiceResponse

from helpdesk import follow_up, tickets
from ivr import calllog, speech
from ivr.web import Turn, arg, bp, call_step, field, hours, twiml
from models import (
    Call,
    Channel,
    Client,
    Language,
    Line,
    Ticket,
    utcnow,
)
from queueing import outbox
from web.database import db_session

PROMISE_PROMPTS = {Line.REGULAR: "callback_by", Line.URGENT: "urgent_callback_by"}


@bp.post("/recorded")
@call_step
def recorded(turn: Turn) -> Response:
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
    # A twice-sent webhook brings the same recording again: said again, stored once.
    message["again"] = turn.call.recording_url == recording_url
    if not message["again"]:
        turn.call.recording_url, turn.call.recording_seconds = recording_url, message["seconds"]
        turn.event("message_recorded", seconds=message["seconds"])
    return message


def _add_message(ticket: Ticket, message: dict[str, Any] | None) -> None:
    if message is not None and not message["again"]:
        tickets.note(ticket, "message", **{k: v for k, v in message.items() if k != "again"})


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
        client = session.get(Client, client_id) if client_id else None  # from our own URL
        ticket = tickets.open_ticket(
            session,
            priority=call.line or Line.REGULAR,
            channel=Channel.PHONE,
            language=call.language or Language.FR,
            client_id=client.id if client else call.client_id,
            contact_id=call.contact_id,
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
    """Queue the follow-up of the call's support ticket (once), unless a technician took it."""
    if call.ticket_id is None or call.outcome == "connected":
        return
    ticket = db_session().get(Ticket, call.ticket_id)
    if ticket is None or ticket.to_verify:
        return
    rung = []
    if call.line == Line.URGENT:  # the people rung are the ones to page
        rung = [e.data["staff_ids"] for e in call.events if e.kind == "technicians_rung"]
    args = {"ticket_id": ticket.id, "staff_ids": rung[-1] if rung else None}
    key = f"ticket-{ticket.id}-follow-up"
    if outbox.add(db_session(), "ticket.follow_up", args, key=key):
        calllog.record(call, "callback_queued")
