"""Calls whose end Twilio never reported.

Twilio does not retry a status callback that failed (the web server restarting at that moment):
the call would read "in progress" in the call log for ever, and a callback would stay "dialling".
Once a call is older than any call may last, the worker asks Twilio how it ended and ends it as
its status callback would have, dated when it ended (a call Twilio says goes on is asked about
again an hour later). Without an answer (no Twilio credentials, a call Twilio no longer knows),
the call is ended all the same, its end noted as not reported.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioException

from helpdesk import callbacks, calllog, phone, tasks
from helpdesk.context import Context
from models import Call, CallbackRequest, CallDirection, current_time
from models.db import lock_row
from telephony import rest

log = logging.getLogger(__name__)

# Looked at a while after the longest a call may last: its status callback has had its chance.
OVERDUE_AFTER = calllog.LONGEST_CALL + timedelta(minutes=15)
# Past Twilio's own limit on any call (24 h), Twilio is not asked: the end was not reported. So
# a call Twilio keeps failing to tell about stops being asked about, and never holds up others.
ASKED_UNTIL = timedelta(hours=24, minutes=15)
EVERY_SECONDS = 3600
BATCH = 100  # a backlog (a long outage) is worked through an hour at a time
ASKING_BUDGET_SECONDS = 120  # well within RQ's job timeout; the rest waits for the next hour


def write_due(context: Context) -> bool:
    """This hour's look, as an outbox row: each relay round writes it, and its key lets one row
    in between all the workers."""
    with context.transaction() as session:
        return tasks.end_unreported_calls(session, int(time.time() // EVERY_SECONDS))


def end_overdue(context: Context) -> int:
    """Job: end the calls still unended past the longest call; return how many it ended."""
    with context.transaction() as session:
        now = current_time(session)
        found = session.execute(
            select(Call.id, Call.call_sid, Call.started_at)
            .where(Call.status.in_(calllog.UNENDED_STATUSES), Call.started_at < now - OVERDUE_AFTER)
            .order_by(Call.started_at)
            .limit(BATCH)
        ).all()
    ended, began = 0, time.monotonic()
    for call_id, call_sid, started_at in found:
        state = None
        if started_at > now - ASKED_UNTIL:
            if time.monotonic() - began > ASKING_BUDGET_SECONDS:
                break
            try:
                state = _ask_twilio(context, call_sid)  # the network, outside any transaction
            except (TwilioException, requests.RequestException) as error:
                log.warning("Twilio's API did not say how call %s ended: %s", call_sid, error)
                continue  # asked again in an hour
        with context.transaction() as session:
            ended += _end(session, call_id, state)
    return ended


def _ask_twilio(context: Context, call_sid: str) -> rest.CallState | None:
    """How Twilio says the call ended; None: nobody can say (no credentials, an unknown call)."""
    if not rest.has_credentials(context.settings):
        return None
    return rest.call_state(context.settings, context.twilio_http, call_sid)


def _end(session: Session, call_id: int, state: rest.CallState | None) -> bool:
    lock_row(session, Call, Call.id == call_id)
    call = session.get(Call, call_id, with_for_update=True)
    if call is None or call.status not in calllog.UNENDED_STATUSES:
        return False  # its status callback came meanwhile (replayed from a spool)
    if state is not None and state.status in calllog.FINAL_STATUSES:
        if state.ended_at is not None:
            calllog.replayed_from(session, state.ended_at)  # dated when it ended, not now
        _ended(session, call, state)
        return True
    if state is not None:  # Twilio says it goes on (a longer limit set by hand): next hour
        log.warning("Twilio says call %s is still %s", call.call_sid, state.status)
        return False
    _not_reported(session, call)
    return True


def _ended(session: Session, call: Call, state: rest.CallState) -> None:
    request = _callback_of(session, call)
    if request is not None:
        callbacks.leg_ended(request, call, state.status, state.duration)
    elif call.direction == CallDirection.INBOUND:
        phone.call_ended(session, call, state.status, state.duration)
    else:
        calllog.set_status(call, state.status, state.duration)


def _not_reported(session: Session, call: Call) -> None:
    request = _callback_of(session, call)
    if request is not None:
        callbacks.leg_end_not_reported(request, call)
    elif call.direction == CallDirection.INBOUND:
        phone.end_not_reported(session, call)
    else:
        calllog.end_not_reported(call)


def _callback_of(session: Session, call: Call) -> CallbackRequest | None:
    """The technician's callback this outbound call is the leg of, if it is one."""
    if call.direction != CallDirection.OUTBOUND:
        return None
    return session.scalars(
        select(CallbackRequest).where(CallbackRequest.call_id == call.id).limit(1)
    ).first()
