"""Callbacks: a technician asks to call a client back; Twilio rings the technician, who presses
1 to be bridged to the client. The moment the client answers is the ticket's first response.

A request is a row with a unique id; the job that places it claims it first, so a retried job
never rings the technician twice. The technician's leg is logged as an outbound call tied to the
ticket and the technician.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from helpdesk import calllog, interventions, tasks, tickets
from helpdesk.context import Context
from helpdesk.interventions import Intervention
from models import (
    Call,
    CallbackRequest,
    CallbackState,
    CallDirection,
    CallEventKind,
    CallOutcome,
    Channel,
    ContactPhone,
    StaffMember,
    Ticket,
    TicketEventKind,
    current_time,
)
from refusals import Refused
from settings import Settings
from telephony import rest

log = logging.getLogger(__name__)


class Attempt(StrEnum):
    """How a callback from a technician's own phone failed to reach the client."""

    NO_ANSWER = "no_answer"
    VOICEMAIL = "voicemail"  # a message was left on the client's voicemail


# The client's notice of each way a call can fail to reach them (the policy: a notice for each
# intervention): we tried, and left a message if we did.
ATTEMPT_NOTICES = {
    Attempt.NO_ANSWER: Intervention.CALLBACK_NO_ANSWER,
    Attempt.VOICEMAIL: Intervention.CALLBACK_VOICEMAIL,
}


class CallbackRefused(Refused):
    """A callback that cannot be placed; the key says why."""


def number_to_call(session: Session, ticket: Ticket) -> str | None:
    """The number that reaches the ticket's client, or None when there is none.

    The number they called from, if they did (a hidden caller ID leaves it empty); otherwise
    the first number on file of the ticket's contact: an emailed request, or an anonymous call a
    supervisor attached to a contact, is still someone we can ring.
    """
    if ticket.channel == Channel.PHONE and ticket.requester:
        return ticket.requester
    if ticket.contact_id is None:
        return None
    # The directory's order (position), then the oldest: the same number every time.
    return session.scalar(
        select(ContactPhone.number)
        .where(ContactPhone.contact_id == ticket.contact_id)
        .order_by(ContactPhone.position, ContactPhone.id)
        .limit(1)
    )


def request_callback(session: Session, ticket: Ticket, staff: StaffMember) -> CallbackRequest:
    """Queue a callback of the ticket's client by ``staff``; placed by the worker."""
    if not staff.mobile:
        raise CallbackRefused(
            "no_mobile", "%(name)s has no mobile number to be rung on", name=staff.name
        )
    if number_to_call(session, ticket) is None:
        raise CallbackRefused(
            "no_number_to_call",
            "ticket %(number)s has no phone number to call back",
            number=ticket.number,
        )
    request = CallbackRequest(
        request_id=uuid.uuid4().hex, ticket_id=ticket.id, staff_member_id=staff.id
    )
    session.add(request)
    session.flush()
    tickets.note(
        ticket, TicketEventKind.CALLBACK_REQUESTED, staff.id, request_id=request.request_id
    )
    tasks.place_callback(session, request.request_id)
    return request


def places_calls(settings: Settings) -> bool:
    """Whether a callback requested now will ring anybody: without Twilio's credentials it is
    only logged (``place_callback``), and whoever asked must call from their own phone."""
    return rest.has_credentials(settings)


def find(session: Session, request_id: str) -> CallbackRequest | None:
    if not request_id:
        return None
    return session.scalars(
        select(CallbackRequest).where(CallbackRequest.request_id == request_id[:64])
    ).first()


def place_callback(context: Context, request_id: str) -> None:
    """Job: ring the technician's mobile through Twilio (once per request)."""
    claimed = _claim(context, request_id)
    if claimed is None:
        return
    mobile, query = claimed
    settings = context.settings
    if not places_calls(settings):
        log.info("no Twilio credentials: callback NOT placed, logged instead (%s)", request_id)
        _placed(context, request_id, None, CallbackState.LOGGED)
        return
    base = settings.public_base_url.rstrip("/")
    try:
        call_sid = rest.place_call(
            settings,
            context.twilio_http,
            to=mobile,
            url=f"{base}/voice/callback/technician?{query}",
            status_callback=f"{base}/voice/callback/status?{query}",
        )
    except Exception as error:
        _failed(context, request_id, error)
        raise
    _placed(context, request_id, call_sid, CallbackState.PLACED)


def _claim(context: Context, request_id: str) -> tuple[str, str] | None:
    """Take the request for placing, committed before Twilio is asked."""
    with context.transaction() as session:
        request = find(session, request_id)
        if request is None or request.state not in (CallbackState.REQUESTED, CallbackState.FAILED):
            return None
        staff = session.get(StaffMember, request.staff_member_id)
        if staff is None or not staff.mobile:
            request.state, request.last_error = CallbackState.FAILED, "no mobile number"
            return None
        ticket = session.get(Ticket, request.ticket_id)
        # The contact's numbers may have been removed since the request: do not ring the
        # technician for a client who cannot be dialled.
        if ticket is None or number_to_call(session, ticket) is None:
            request.state, request.last_error = CallbackState.FAILED, "no number to call"
            return None
        request.state = CallbackState.PLACED
        query = urlencode(
            {"ticket": request.ticket_id, "staff": staff.id, "request": request.request_id}
        )
        return staff.mobile, query


def _placed(context: Context, request_id: str, call_sid: str | None, state: CallbackState) -> None:
    with context.transaction() as session:
        request = find(session, request_id)
        assert request is not None
        request.placed_at = current_time(session)
        if state == CallbackState.LOGGED:  # PLACED was claimed; a webhook may have moved it on
            request.state = state
        ticket = session.get(Ticket, request.ticket_id)
        assert ticket is not None
        if call_sid is None:
            tickets.note(
                ticket,
                TicketEventKind.CALLBACK_LOGGED,
                request.staff_member_id,
                request_id=request_id,
            )
            return
        call = leg(session, request, call_sid)
        tickets.note(
            ticket,
            TicketEventKind.CALLBACK_PLACED,
            request.staff_member_id,
            request_id=request_id,
            call_sid=call.call_sid,
        )


def _failed(context: Context, request_id: str, error: Exception) -> None:
    with context.transaction() as session:
        request = find(session, request_id)
        if request is not None:
            request.state = CallbackState.FAILED
            request.last_error = f"{type(error).__name__}: {error}"[:300]


def leg(session: Session, request: CallbackRequest, call_sid: str) -> Call:
    """The technician's leg of a callback, in the call log as an outbound call (made by the job
    or by Twilio's first webhook of the leg, whichever comes first)."""
    call, _ = calllog.find_or_start(session, call_sid, CallDirection.OUTBOUND)
    if request.call_id == call.id:
        return call
    ticket = session.get(Ticket, request.ticket_id)
    staff = session.get(StaffMember, request.staff_member_id)
    call.ticket_id, call.staff_member_id = request.ticket_id, request.staff_member_id
    if ticket is not None:
        call.line, call.client_id, call.contact_id = (
            ticket.priority,
            ticket.client_id,
            ticket.contact_id,
        )
    # The leg Twilio placed rings the technician, from the support line.
    call.to_number = call.to_number or (staff.mobile if staff and staff.mobile else "")
    request.call_id = call.id
    return call


def technician_answered(call: Call) -> None:
    calllog.record(call, CallEventKind.CALLBACK_TECHNICIAN_ANSWERED)


def dialing_client(session: Session, request: CallbackRequest, call: Call) -> None:
    if request.state == CallbackState.PLACED:
        request.state = CallbackState.DIALING
    calllog.record(call, CallEventKind.CALLBACK_CLIENT_DIALED)
    ticket = session.get(Ticket, request.ticket_id)
    assert ticket is not None
    tickets.note(ticket, TicketEventKind.CALLBACK_DIALING, request.staff_member_id)


def client_answered(
    session: Session, request: CallbackRequest, call: Call | None, moment: datetime
) -> None:
    """The client picked up: the ticket's first response."""
    request.state = CallbackState.REACHED
    ticket = session.get(Ticket, request.ticket_id)
    assert ticket is not None
    tickets.first_response(ticket, moment, request.staff_member_id)
    interventions.announce(ticket, Intervention.CALLBACK, f"callback-{request.request_id}")
    if call is not None:
        call.outcome = CallOutcome.CALLBACK_REACHED
        calllog.record(call, CallEventKind.CALLBACK_CLIENT_ANSWERED)


def client_not_reached(
    session: Session, request: CallbackRequest, call: Call, dial_status: str = ""
) -> None:
    """The client's phone did not answer (Twilio's ``dial_status``: no-answer, busy, failed):
    an attempt, on the call's timeline and the ticket's."""
    if request.state != CallbackState.REACHED:
        request.state = CallbackState.NOT_REACHED
        call.outcome = CallOutcome.CALLBACK_NOT_REACHED
    calllog.record(call, CallEventKind.CALLBACK_CLIENT_NOT_REACHED, dial_status=dial_status)
    ticket = session.get(Ticket, request.ticket_id)
    assert ticket is not None
    event = tickets.note(
        ticket, TicketEventKind.CALLBACK_NOT_REACHED, request.staff_member_id, status=dial_status
    )
    if request.state != CallbackState.REACHED:
        tickets.announce(ticket, ATTEMPT_NOTICES[Attempt.NO_ANSWER], event)


def leg_ended(request: CallbackRequest, call: Call, status: str, duration: str) -> None:
    """Twilio's status callback of the technician's leg: the outbound call's end. A leg that
    ended before the client answered (the technician did not pick up, or hung up) leaves the
    client not reached."""
    if calllog.set_status(call, status, duration):
        _leg_over(request, call, status)


def leg_end_not_reported(request: CallbackRequest, call: Call) -> None:
    """A technician's leg whose end Twilio never reported (helpdesk.unreported_ends): over all
    the same; a client not dialled or not answered by then was not reached."""
    calllog.end_not_reported(call)
    _leg_over(request, call, calllog.NOT_REPORTED)


def _leg_over(request: CallbackRequest, call: Call, status: str) -> None:
    call.outcome = call.outcome or CallOutcome.CALLBACK_NOT_REACHED
    if request.state == CallbackState.PLACED:
        # The technician never pressed 1: the client was not even dialled; the ticket says so.
        session = object_session(call)
        ticket = session.get(Ticket, request.ticket_id) if session is not None else None
        if ticket is not None:
            tickets.note(
                ticket,
                TicketEventKind.CALLBACK_NOT_REACHED,
                request.staff_member_id,
                status=status[:40],
                technician=True,
            )
    if request.state in (CallbackState.PLACED, CallbackState.DIALING):
        request.state = CallbackState.NOT_REACHED


def called_back_from_own_phone(ticket: Ticket, staff_member_id: int, moment: datetime) -> None:
    """A technician says they reached the client from their own phone: the first response (if
    it is one, so supervisors get no false warning), in the history, and the client's notice."""
    tickets.first_response(ticket, moment, staff_member_id)
    tickets.note(ticket, TicketEventKind.CALLBACK_MADE, staff_member_id)
    interventions.announce(ticket, Intervention.CALLBACK, f"own-phone-{int(moment.timestamp())}")


def attempt_from_own_phone(ticket: Ticket, staff_member_id: int, outcome: Attempt) -> None:
    """A technician tried to call the client from their own phone and did not reach them: the
    attempt stays on the ticket (no first response), and the client is told of it."""
    event = tickets.note(
        ticket, TicketEventKind.CALLBACK_ATTEMPT, staff_member_id, outcome=outcome.value
    )
    tickets.announce(ticket, ATTEMPT_NOTICES[outcome], event)
