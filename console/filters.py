"""What the templates show values with: Montreal times, business time left, and the labels of the
model's vocabularies, in the reader's language."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask
from flask_babel import format_date, format_datetime, gettext, lazy_gettext

from console.deadlines import spoken

_ = lazy_gettext

# Every stored value a page shows, by vocabulary: the stored value is never shown raw.
LABELS: dict[str, Any] = {
    # lines, priorities
    "regular": _("regular"),
    "urgent": _("urgent"),
    # ticket statuses
    "open": _("open"),
    "resolved": _("resolved"),
    "closed": _("closed"),
    # channels
    "phone": _("phone"),
    "email": _("email"),
    # languages
    "fr": _("French"),
    "en": _("English"),
    # roles
    "technician": _("technician"),
    "supervisor": _("supervisor"),
    # call directions and outcomes
    "inbound": _("inbound call"),
    "outbound": _("callback"),
    "connected": _("connected"),
    "message": _("message left"),
    "after_hours": _("after hours"),
    "unauthorized": _("not authorized"),
    "abandoned": _("abandoned"),
    "callback_reached": _("client reached"),
    "callback_not_reached": _("client not reached"),
    # whisper answers
    "accepted": _("accepted"),
    "refused": _("refused"),
    # callback requests
    "requested": _("requested"),
    "placed": _("placed"),
    "logged": _("logged (no Twilio)"),
    "dialing": _("dialing the client"),
    "reached": _("client reached"),
    "not_reached": _("client not reached"),
    "failed": _("failed"),
    # where a ticket stands against its deadline
    "on_time": _("on time"),
    "at_risk": _("at risk"),
    "late": _("late"),
    "no_promise": _("no promise"),
    # the dashboard's outcomes (with "message", "after_hours" and "abandoned" above)
    "answered": _("answered"),
    "other": _("other"),
}

CALL_EVENTS: dict[str, Any] = {
    "arrived": _("call arrived"),
    "language_chosen": _("language chosen"),
    "option_chosen": _("menu option chosen"),
    "invalid_input": _("invalid input"),
    "ticket_opened": _("ticket opened"),
    "closed": _("line closed"),
    "technicians_rung": _("technicians rung"),
    "whisper_accepted": _("technician accepted"),
    "whisper_refused": _("technician refused"),
    "connected": _("connected"),
    "no_answer": _("nobody answered"),
    "unauthorized": _("caller not authorized"),
    "voicemail": _("voicemail"),
    "message_recorded": _("message recorded"),
    "no_message": _("no message"),
    "callback_queued": _("callback queued"),
    "hung_up": _("call ended"),
    "callback_tech_answered": _("technician answered the callback"),
    "callback_client_dialed": _("client dialled"),
    "callback_client_answered": _("client answered"),
    "callback_not_reached": _("client not reached"),
}

TICKET_EVENTS: dict[str, Any] = {
    "opened": _("opened"),
    "message": _("message"),
    "note": _("note"),
    "account_given": _("account number given"),
    "assigned": _("assigned"),
    "priority_changed": _("priority changed"),
    "first_response": _("client reached (first response)"),
    "follow_up_queued": _("follow-up queued"),
    "callback_requested": _("callback requested"),
    "callback_placed": _("callback placed"),
    "callback_logged": _("callback logged (no Twilio)"),
    "callback_dialing": _("callback: dialling the client"),
    "callback_not_reached": _("callback: client not reached"),
    "resolved": _("resolved"),
    "closed": _("closed"),
    "reopened": _("reopened"),
    "verified": _("verified"),
    "verification_closed": _("closed without a ticket"),
}


def label(value: Any) -> str:
    key = str(getattr(value, "value", value) or "")
    return str(LABELS.get(key, key))


def call_event(value: Any) -> str:
    key = str(getattr(value, "value", value))
    return str(CALL_EVENTS.get(key, key))


def ticket_event(value: Any) -> str:
    key = str(getattr(value, "value", value))
    return str(TICKET_EVENTS.get(key, key))


def when(moment: datetime | None) -> str:
    """A moment in the company's time zone, in the reader's language."""
    return "" if moment is None else str(format_datetime(moment, "short"))


def day(value: date) -> str:
    """A calendar day (already a Montreal day), in the reader's language."""
    return str(format_date(value, "short"))


def time_left(left: timedelta | None) -> str:
    """Business time left, or past the deadline."""
    if left is None:
        return ""
    hours, minutes = spoken(left)
    amount = (
        gettext("%(h)d h %(m)02d", h=hours, m=minutes) if hours else gettext("%(m)d min", m=minutes)
    )
    if left < timedelta(0):
        return str(gettext("%(amount)s late", amount=amount))
    return str(gettext("%(amount)s left", amount=amount))


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        label=label,
        call_event=call_event,
        ticket_event=ticket_event,
        when=when,
        day=day,
        time_left=time_left,
    )
