"""Click-to-call: Twilio rings the technician, who presses 1 to be bridged to the client."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from helpdesk import senders
from helpdesk.tickets import note
from models import StaffMember, Ticket
from queueing import runtime

log = logging.getLogger(__name__)


def place_callback(ticket_id: int, staff_id: int, request_id: str) -> None:
    """Place the technician's leg of a callback; a request placed once is never placed twice."""
    config = runtime.settings()
    with runtime.session() as session:
        ticket = session.get(Ticket, ticket_id)
        staff = session.get(StaffMember, staff_id)
        if ticket is None or staff is None or not staff.mobile:
            log.warning("callback %s: no ticket, technician or mobile; nothing placed", request_id)
            return
        if any(e.data.get("request_id") == request_id for e in ticket.events):
            return
        if not config.get("TWILIO_ACCOUNT_SID") or not config.get("TWILIO_AUTH_TOKEN"):
            log.info(
                "no Twilio credentials: callback NOT placed, logged instead (ticket %s)",
                ticket.number,
            )
            note(ticket, "callback_logged", staff_member_id=staff.id, request_id=request_id)
            return
        query = urlencode({"ticket": ticket.id, "staff": staff.id})
        base = str(config["PUBLIC_BASE_URL"]).rstrip("/")
        call = senders.twilio_client(config).calls.create(
            to=staff.mobile,
            from_=senders.sender_number(config),
            url=f"{base}/voice/callback/technician?{query}",
            status_callback=f"{base}/voice/status",
        )
        note(
            ticket,
            "callback_placed",
            staff_member_id=staff.id,
            request_id=request_id,
            call_sid=str(call.sid),
        )
