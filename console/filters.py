"""What the templates show values with: Montreal times, business time left, and the labels of the
model's vocabularies, in the reader's language."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from datetime import date, time, timedelta
from typing import Any

from flask import Flask
from flask_babel import (
    format_currency,
    format_date,
    format_decimal,
    format_percent,
    get_locale,
    gettext,
    lazy_gettext,
)
from jinja2 import pass_context
from markupsafe import Markup, escape

from console import call_details
from console.moments import when
from helpdesk import pages
from mail.reading.quoting import split_quoted
from models import Channel, Ticket
from phones import ANONYMOUS_IDS, national
from routing.standing import spoken
from time_words import MONTH_NAMES
from time_words import clock as clock_words

_ = lazy_gettext

# Every stored value a page shows, by vocabulary: the stored value is never shown raw.
LABELS: dict[str, Any] = {
    # lines, priorities
    "regular": _("regular"),
    "urgent": _("urgent"),
    # why a call's regular request became urgent (helpdesk.phone.CHOSE_THE_CATA)
    "caller_chose_the_cata": _("the caller chose the CATA, regular support being closed"),
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
    "reached_on_time": _("client reached on time"),
    "reached_late": _("client reached late"),
    "settled_unreached": _("settled without reaching the client"),
    # why a schedule is closed (routing.calendar.Reason; "after_hours" is above)
    "manual": _("switched by a supervisor"),
    **call_details.SCHEDULE_CLOSED,
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
    "opening": _("opening balance"),
    "closing": _("closing balance"),
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
    # a call's status, as Twilio says it (helpdesk.calllog.CALL_STATUSES; "failed" is above)
    "queued": _("queued"),
    "initiated": _("dialling"),
    "ringing": _("ringing"),
    "in-progress": _("in progress"),
    "completed": _("ended"),
    "busy": _("busy"),
    "no-answer": _("no answer"),
    "canceled": _("cancelled"),
    "unknown": _("unknown"),
    "not-reported": _("ended, end not reported by Twilio"),
    # where a menu option leads (ivr/menu.toml; "regular" and "urgent" are above)
    "language": _("change of language"),
    "reception": _("reception"),
    "repeat": _("menu repeated"),
    "add_to_ticket": _("a message added to their open ticket"),
    # why a mail is in quarantine (mail.reading.message.UNREADABLE, and too big)
    "empty": _("empty message"),
    "not_a_message": _("not an email message"),
    "no_sender": _("no sender"),
    "parse_error": _("unreadable message"),
    "too_big": _("too big"),
    "too_many_parts": _("too many parts"),
    "too_many_enclosed": _("too many enclosed messages"),
    "too_deep": _("parts nested too deep"),
    "too_many_headers": _("too many header fields"),
    "header_too_long": _("a header too long"),
    "too_slow": _("too slow to read"),
    "too_big_decoded": _("too big once decoded"),
    # how a mail came in
    "http": _("web hook"),
    "imap": _("IMAP mailbox"),
    "pipe": _("mail server pipe"),
    # a message's direction and channel, a task's state
    "in": _("received"),
    "out": _("sent"),
    "sms": _("SMS"),
    "pending": _("waiting"),
    "done": _("done"),
    # a callback that did not reach the client: from the technician's own phone, or Twilio's
    # status of the client's line
    "no_answer": _("no answer"),
    "voicemail": _("voicemail: a message was left"),
    # why a contact is proposed for a message to verify (console/candidates.py)
    "number": _("the number that called"),
    "address": _("the sender's address"),
    "account": _("the account number given"),
    "domain": _("the sender's domain"),
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
    "whisper_no_key": _("technician pressed no key"),
    "connected": _("connected"),
    "no_answer": _("nobody answered"),
    "unauthorized": _("caller not authorized"),
    "identified_by_code": _("identified by personal code"),
    "code_refused": _("wrong personal code"),
    "codes_locked": _("personal codes refused for the day (too many wrong codes)"),
    "voicemail": _("voicemail"),
    "message_recorded": _("message recorded"),
    "no_message": _("no message"),
    "callback_queued": _("follow-up queued"),  # the ticket's follow-up, not a callback yet
    "promise_given": _("callback promised to the caller"),
    "hung_up": _("call ended"),
    "end_not_reported": _("Twilio never reported the end of the call"),
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
    "callback_attempt": _("called back from their own phone, client not reached"),
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
# The lists' filters by their query names, as their forms label them: a filter that could not be
# read is named so ("Ignorés (illisibles) : Du, Ligne"), not by its name in the address.
FIELDS: dict[str, Any] = {
    "from": _("From"),
    "to": _("To"),
    "line": _("Line"),
    "status": _("Status"),
    "channel": _("Channel"),
    "client": _("Client"),
    "contact": _("Contact"),
    "technician": _("Technician"),
    "outcome": _("Outcome"),
    "direction": _("Kind"),
    "number": _("Number"),
    "message": _("Message"),
}


# The ticket list's form labels three of them its own way.
TICKET_LIST_FIELDS: dict[str, Any] = {
    **FIELDS,
    "from": _("Opened from"),
    "to": _("through"),
    "technician": _("Assigned to"),
}
PAGE_FIELDS = {"calls": FIELDS, "tickets": TICKET_LIST_FIELDS}


def fields(names: Sequence[str], page: str = "calls") -> str:
    """Filters' names as the ``page``'s form labels them, in a list."""
    labels = PAGE_FIELDS[page]
    return ", ".join(str(labels.get(name, name)) for name in names)


DELIVERY: dict[str, Any] = {
    "pending": _("waiting to be sent"),
    "sending": _("being sent"),
    "sent": _("sent"),
    "failed": _("failed, tried again"),
    "interrupted": _("interrupted: its worker stopped while sending it; it may not have left"),
    # A page Twilio reported not arrived: not tried again (the next person on duty is paged).
    "undelivered": _("did not reach the phone (Twilio)"),
    "refused": _("refused by the server"),
    "held": _("held"),
    "logged": _("logged, not sent (no mail server or Twilio configured)"),
    # Why a message was not sent (sending.RECIPIENT_REFUSED...), the server's reply beside it.
    "recipient_refused": _("refused by the recipient's mail server"),
    "sender_refused": _("the mail server refused our sending address"),
    "message_refused": _("the mail server refused the message"),
    "number_refused": _("Twilio refused the number"),
    "deferred": _("the mail server asked to try again later"),
    "unreachable": _("the mail server or Twilio could not be reached"),
    "error": _("sending failed"),
    "burst": _("many emails from this sender within minutes (a possible mail loop)"),
    "repeated": _("the same text again from this sender (a possible mail loop)"),
    # Why an answer was not sent (mail.letters, mail.replies).
    "no_valid_address": _("the email gave no valid address"),
    "not_authenticated": _("the email failed authentication"),
    "envelope_mismatch": _("its envelope sender (Return-Path) is not its From address"),
    "no_envelope_sender": _(
        "it came with no envelope sender (Return-Path) to check its From address against"
    ),
    "answered_today": _("this sender was already answered today"),
    "hourly_cap": _("the hour's replies to senders who may not open requests are spent"),
    # Why the receiving mail server did not vouch for a sender (mail.reading.trust).
    "dmarc_fail": _("DMARC failed: the sender's domain disowns this email"),
    "spf_dkim_fail": _("neither SPF nor DKIM passed for the sender's domain"),
    "no_results": _("the receiving mail server did not authenticate it"),
}


# What a public note's label says of the email that tells the client of it, read from its
# delivery record (console.conversation.told): never "sent" before it has left.
NOTE_TOLD: dict[str, Any] = {
    "waiting": _("public: email to the client waiting to be sent"),
    "sent": _("public: emailed to the client on %(when)s"),
    "failed": _("public: not emailed to the client yet — sending failed, it is tried again"),
    "refused_by_recipient": _("public: NOT emailed to the client — refused by their mail server"),
    "refused": _("public: NOT emailed to the client — refused by the mail server"),
    "gave_up": _("public: NOT emailed to the client — sending failed at every try, it has stopped"),
    "held": _("public: NOT emailed to the client — held for a supervisor"),
    "logged": _("public: NOT emailed to the client — no mail server configured, only logged"),
    "interrupted": _("public: the email to the client may not have left — its send was cut"),
    "no_address": _("public: NOT emailed — the client has no email address on file"),
}

# The same for the survey's invitation, on the ticket's survey card.
INVITATION_TOLD: dict[str, Any] = {
    "waiting": _("Invitation waiting to be sent."),
    "sent": _("Sent %(when)s, not answered."),
    "failed": _("Invitation not sent yet: sending failed, it is tried again."),
    "refused_by_recipient": _("Invitation NOT sent: refused by the client's mail server."),
    "refused": _("Invitation NOT sent: refused by the mail server."),
    "gave_up": _("Invitation NOT sent: sending failed at every try, it has stopped."),
    "held": _("Invitation NOT sent: held for a supervisor."),
    "logged": _("Invitation NOT sent: no mail server configured, only logged."),
    "interrupted": _("Invitation perhaps not sent: its send was cut."),
    "no_address": _("Invitation NOT sent: the client has no email address on file."),
}


def label(value: Any) -> str:
    key = str(getattr(value, "value", value) or "")
    return str(LABELS.get(key, key))


def delivery(value: Any, error: str = "") -> str:
    """A delivery state (or a reason) in words; given the message's last error, a page that
    Twilio reported not arrived says so rather than "tried again"."""
    key = str(getattr(value, "value", value) or "")
    if key == "failed" and error.startswith(pages.TWILIO_SAID):
        key = "undelivered"
    return str(DELIVERY.get(key, key))


def note_told(told: str, sent: Any) -> str:
    """A public note's label: what became of the email that tells the client of it."""
    return _told(NOTE_TOLD, told, sent)


def invitation_told(told: str, sent: Any) -> str:
    return _told(INVITATION_TOLD, told, sent)


def _told(words: dict[str, Any], told: str, sent: Any) -> str:
    text = str(words.get(told, told))
    return text % {"when": when(sent.sent_at)} if told == "sent" and sent is not None else text


def filesize(size: int | None) -> str:
    """Bytes as a reader counts them: "850 o", "12 Ko", "3,4 Mo" (in the reader's language)."""
    if size is None:
        return ""
    if size < 1024:
        return str(gettext("%(n)s bytes", n=size))
    if size < 1024 * 1024:
        return str(gettext("%(n)s KB", n=format_decimal(round(size / 1024))))
    return str(gettext("%(n)s MB", n=format_decimal(round(size / 1_048_576, 1))))


def fresh(text: str | None, subject: str = "") -> str:
    """What the writer wrote, without the history their mail program quoted."""
    return split_quoted(text or "", subject)[0]


def quoted(text: str | None, subject: str = "") -> str:
    return split_quoted(text or "", subject)[1]


def call_event(value: Any) -> str:
    key = str(getattr(value, "value", value))
    return str(CALL_EVENTS.get(key, key))


def ticket_event(value: Any) -> str:
    key = str(getattr(value, "value", value))
    return str(TICKET_EVENTS.get(key, key))


def day(value: date | None) -> str:
    """A calendar day (a closure's), in the reader's language."""
    return "" if value is None else str(format_date(value, "full"))


def short_day(value: date | None) -> str:
    """A calendar day (already a Montreal day), short, with its weekday: "lun. 7 déc. 2026"."""
    if value is None:
        return ""
    return str(format_date(value, "EEE d MMM y" if str(get_locale()) == "fr" else "EEE MMM d, y"))


def month(value: date | str) -> str:
    """A month ("2026-12" or its first day) in words: "décembre 2026" / "December 2026"."""
    first = value if isinstance(value, date) else date.fromisoformat(f"{value}-01")
    language = "fr" if str(get_locale()) == "fr" else "en"
    return f"{MONTH_NAMES[language][first.month - 1]} {first.year}"


def percent(value: int | None) -> str:
    """A share out of 100 in the reader's style, "67 %" / "67%"; a dash when there is none."""
    return "—" if value is None else str(format_percent(value / 100))


def decimal(value: float) -> str:
    """A score with two decimals in the reader's style: "4,50" / "4.50"."""
    return str(format_decimal(value, format="0.00"))


def clock(value: time) -> str:
    """A wall-clock time (a closure's bounds): "14 h" / "2 PM"."""
    language = "fr" if str(get_locale()) == "fr" else "en"
    return clock_words(value.hour * 60 + value.minute, language)


def wait(left: timedelta) -> str:
    """How long to wait before trying again, rounded up: "15 s", "3 min", "1 hr 05 min"."""
    seconds = max(math.ceil(left.total_seconds()), 1)
    if seconds < 60:
        return str(gettext("%(n)d s", n=seconds))
    hours, minutes = divmod(math.ceil(seconds / 60), 60)
    if hours:
        return str(gettext("%(h)d hr %(m)02d min", h=hours, m=minutes))
    return str(gettext("%(m)d min", m=minutes))


def time_left(left: timedelta | None) -> str:
    """Business time left, or past the deadline."""
    if left is None:
        return ""
    hours, minutes = spoken(left)
    amount = (
        gettext("%(h)d hr %(m)02d min", h=hours, m=minutes)
        if hours
        else gettext("%(m)d min", m=minutes)
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


def phone(value: str | None) -> Markup:
    """A stored number (E.164) in its national form, as a ``tel:`` link a phone can dial:
    ``(514) 555-0142``; a withheld caller ID ("anonymous") in words; anything else (an email
    address) as it is."""
    text = value or ""
    if text and text.strip().lower() in ANONYMOUS_IDS:
        return escape(gettext("hidden number"))
    shown = national(text) if text.startswith("+") else None
    if shown is None:
        return escape(text)
    return Markup('<a class="tel" href="tel:%s">%s</a>') % (text, shown)


# How phone tickets' subjects were stored before they were composed at display, in English:
# "Marie Tremblay (regular)", "+15145550142: message", "unknown caller: message".
_STORED_PHONE_SUBJECT = re.compile(r"^(?P<who>.*?)(?: \((?:regular|urgent)\)|: message)$")
_UNKNOWN_CALLERS = ("", "unknown caller", "None")


def subject(ticket: Ticket) -> str:
    """A ticket's subject in the reader's language: an email's own subject; a phone ticket's,
    composed from who called and the line ("Marie Tremblay (régulier)", "inconnu : message")."""
    if ticket.channel != Channel.PHONE:
        return ticket.written_subject or str(gettext("(no subject)"))
    match = _STORED_PHONE_SUBJECT.match(ticket.subject.strip())
    who = match.group("who") if match else ticket.subject.strip()
    if who in _UNKNOWN_CALLERS:
        who = str(gettext("unknown caller"))
    elif who.startswith("+"):
        who = national(who) or who
    if ticket.to_verify:
        return str(gettext("%(who)s: message (%(line)s)", who=who, line=label(ticket.priority)))
    return str(gettext("%(who)s (%(line)s)", who=who, line=label(ticket.priority)))


def money(cents: int | None) -> str:
    """Cents as Canadian dollars in the reader's language."""
    return "" if cents is None else str(format_currency(cents / 100, "CAD"))


def _per_render(words: Callable[..., Any]) -> Callable[..., Any]:
    """A filter Jinja calls at each render: it folds a filter of a literal (``"late"|label``)
    once, at compile time, in whichever language rendered the template first, unless the filter
    takes the render's context."""

    @functools.wraps(words)
    def at_render(_context: Any, *args: Any, **kwargs: Any) -> Any:
        return words(*args, **kwargs)

    return pass_context(at_render)


def colon() -> str:
    """The colon between a thing and what it says: " : " in French, ": " in English."""
    return " : " if str(get_locale()) == "fr" else ": "


def register(app: Flask) -> None:
    filters: dict[str, Callable[..., Any]] = dict(
        label=label,
        fields=fields,
        call_event=call_event,
        ticket_event=ticket_event,
        delivery=delivery,
        note_told=note_told,
        invitation_told=invitation_told,
        filesize=filesize,
        fresh=fresh,
        quoted=quoted,
        when=when,
        day=day,
        short_day=short_day,
        time_left=time_left,
        duration=duration,
        money=money,
        phone=phone,
        subject=subject,
        month=month,
        decimal=decimal,
        percent=percent,
        clock=clock,
    )
    app.jinja_env.filters.update({name: _per_render(f) for name, f in filters.items()})
    app.jinja_env.globals.update(
        call_detail=call_details.detail,
        colon=colon,
        call_kind=call_details.kind,
        ring_answer=call_details.ring_answer,
        step_time=call_details.moment,
    )
