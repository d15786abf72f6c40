"""What the templates show values with: Montreal times, business time left, and the labels of the
model's vocabularies, in the reader's language."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask
from flask_babel import (
    format_currency,
    format_date,
    format_datetime,
    format_decimal,
    gettext,
    lazy_gettext,
)

from mail.reading.quoting import split_quoted
from routing.standing import spoken

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
    # why a schedule is closed (routing.calendar.Reason; "after_hours" is above)
    "manual": _("switched by a supervisor"),
    "closure": _("company closure"),
    "holiday": _("statutory holiday"),
    "weekend": _("weekend"),
    "day_off": _("no hours that day"),
    "before_hours": _("before opening"),
    "between_windows": _("between two opening windows"),
    # schedules
    "office": _("office"),
    "cata": _("urgent support (CATA)"),
    "*": _("every schedule"),
    # time entries: where, what, and the bank's ledger
    "onsite": _("on site"),
    "support": _("support"),
    "training": _("training"),
    "change_request": _("change request (DDM)"),
    "purchase": _("purchase"),
    "usage": _("time entry"),
    "entry": _("time entry"),
    "reversal": _("reversal (correction)"),
    "correction": _("corrected entry, taken back"),
    "adjustment": _("adjustment"),
    # why a charge differs from the time worked
    "planned_counts_as_regular": _("planned work counts as regular"),
    "no_bank": _("no hour bank: blocks without a bank"),
    "category_not_bankable": _("training and change requests are not paid from a bank"),
    "minimum_applied": _("the minimum applies"),
    "rounded_to_block": _("rounded up to the block"),
    "travel_within_radius": _("within 25 km: no travel charged"),
    "travel_beyond_radius": _("beyond 25 km: travel charged on top"),
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
    "identified_by_code": _("identified by personal code"),
    "code_refused": _("wrong personal code"),
    "codes_locked": _("personal codes refused for the day (too many wrong codes)"),
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
    "callback_made": _("called back from their own phone"),
    "resolved": _("resolved"),
    "closed": _("closed"),
    "reopened": _("reopened"),
    "verified": _("verified"),
    "verification_closed": _("closed without a ticket"),
    "time_posted": _("time posted"),
    "time_corrected": _("time entry corrected"),
    "email_in": _("email from the client"),
    "email_out": _("email to the client"),
    "follows": _("follows a closed ticket"),
    "followed_by": _("the client wrote again: a new ticket"),
    "recording_purged": _("message deleted: kept for the days the retention allows"),
}

# A message's delivery state, and why an answer was held.
DELIVERY: dict[str, Any] = {
    "pending": _("waiting to be sent"),
    "sending": _("being sent"),
    "sent": _("sent"),
    "failed": _("failed, tried again"),
    "refused": _("refused by the server"),
    "held": _("held"),
    "logged": _("logged, not sent (no mail server or Twilio configured)"),
    "burst": _("many emails from this sender within minutes (a possible mail loop)"),
    "repeated": _("the same text again from this sender (a possible mail loop)"),
}


def label(value: Any) -> str:
    key = str(getattr(value, "value", value) or "")
    return str(LABELS.get(key, key))


def delivery(value: Any) -> str:
    key = str(getattr(value, "value", value) or "")
    return str(DELIVERY.get(key, key))


def filesize(size: int | None) -> str:
    """Bytes as a reader counts them: "850 o", "12 Ko", "3,4 Mo" (in the reader's language)."""
    if size is None:
        return ""
    if size < 1024:
        return str(gettext("%(n)s bytes", n=size))
    if size < 1024 * 1024:
        return str(gettext("%(n)s KB", n=format_decimal(round(size / 1024))))
    return str(gettext("%(n)s MB", n=format_decimal(round(size / 1_048_576, 1))))


def fresh(text: str | None) -> str:
    """What the writer wrote, without the history their mail program quoted."""
    return split_quoted(text or "")[0]


def quoted(text: str | None) -> str:
    return split_quoted(text or "")[1]


def call_event(value: Any) -> str:
    key = str(getattr(value, "value", value))
    return str(CALL_EVENTS.get(key, key))


def ticket_event(value: Any) -> str:
    key = str(getattr(value, "value", value))
    return str(TICKET_EVENTS.get(key, key))


def when(moment: datetime | None) -> str:
    """A moment in the company's time zone, in the reader's language."""
    return "" if moment is None else str(format_datetime(moment, "short"))


def day(value: date | None) -> str:
    """A calendar day (a closure's), in the reader's language."""
    return "" if value is None else str(format_date(value, "full"))


def short_day(value: date) -> str:
    """A calendar day (already a Montreal day), short, in the reader's language."""
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


def duration(minutes: int | None) -> str:
    """Minutes as hours and minutes, "1 h 30", "45 min"; negative for a debit."""
    if minutes is None:
        return ""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if not hours:
        return f"{sign}{rest} min"
    return f"{sign}{hours} h {rest:02d}" if rest else f"{sign}{hours} h"


def money(cents: int | None) -> str:
    """Cents as Canadian dollars in the reader's language."""
    return "" if cents is None else str(format_currency(cents / 100, "CAD"))


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        label=label,
        call_event=call_event,
        ticket_event=ticket_event,
        delivery=delivery,
        filesize=filesize,
        fresh=fresh,
        quoted=quoted,
        when=when,
        day=day,
        short_day=short_day,
        time_left=time_left,
        duration=duration,
        money=money,
    )
