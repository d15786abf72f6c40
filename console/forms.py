"""Reading the supervisors' forms: Montreal dates and times, choices, and refusals in the
reader's language. A value that does not parse is a refusal shown on the page, never a 500."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import flash, request
from flask_babel import format_date, gettext, lazy_gettext
from sqlalchemy.orm import Session

from console.filters import label
from console.moments import when
from helpdesk import submissions
from refusals import Refused
from web import inputs

_ = lazy_gettext
E = TypeVar("E", bound=StrEnum)

# The helpdesk's refusals, by key, in the reader's language.
REFUSALS: dict[str, Any] = {
    "closure_ends_before_start": _("a closure must end after it starts"),
    "closure_in_past": _("%(day)s is past: a closure is for today or later"),
    "closure_exists": _("this closure of %(day)s is already listed"),
    "no_such_closure": _("no such closure"),
    "unknown_schedule": _("unknown schedule %(schedule)s"),
    "override_ends_in_past": _("the switch must end later than now"),
    "override_too_long": _(
        "a switch lasts at most %(days)d days: add closures for a longer absence"
    ),
    "no_such_override": _("no such switch in force"),
    "reason_too_long": _("the reason is longer than %(n)d characters"),
    "note_too_long": _("a note is at most %(n)d characters"),
    "summary_too_long": _("a resolution's summary is at most %(n)d characters"),
    "listed_twice": _("a person is listed twice in the order"),
    "rotation_ends_before_start": _("a rotation must end after it starts"),
    "rotation_exists": _("this person already has a rotation starting then"),
    "no_such_rotation": _("no such rotation"),
    "no_such_staff": _("no such staff member"),
    "inactive_on_duty": _("%(name)s is inactive"),
    "duty_needs_mobile": _("%(name)s has no mobile number: the line could not ring or page them"),
    "no_such_client": _("no such client"),
    "client_needs_account_and_name": _("a client needs an account and a name"),
    "negative_distance": _("the distance cannot be negative"),
    "account_taken": _("account %(account)s is already used"),
    "no_such_contact": _("no such contact"),
    "contact_needs_name": _("a contact needs a name"),
    "bad_email": _("email: %(email)s is not a valid email address"),
    "bad_phone": _("%(phone)s is not a valid phone number"),
    "phone_taken": _("%(phone)s is already the number of %(owner)s"),
    "address_taken": _("%(email)s is already the address of %(owner)s"),
    "too_many_authorized": _(
        "%(client)s already has %(limit)d authorized contacts: the policy allows at most "
        "%(limit)d. Withdraw one's authorization first."
    ),
    "code_needs_authorized": _("only an authorized contact can have a code"),
    "bad_code": _("a personal code is %(n)d digits"),
    "code_too_easy": _("this code is too easy to guess"),
    "code_taken": _("another contact of this client has this code"),
    "staff_needs_name": _("a staff member needs a name"),
    "staff_needs_email": _("a staff member needs an email address"),
    "email_taken": _("%(email)s is already a staff member's"),
    "bad_date": _("%(value)s is not a date and time"),
    "bad_day": _("%(value)s is not a date"),
    "date_needed": _("a date is needed"),
    "moment_needed": _("a date and a time are needed"),
    "bad_choice": _("unknown value %(value)s"),
    "contact_needed": _("choose the contact the message is from"),
    "outcome_needed": _("say what the call gave: the client reached, no answer or a voicemail"),
    # a password
    "short_password": _("a password needs at least %(n)d characters"),
    # a ticket's acts its state does not allow (the status is shown by its label)
    "cannot_take": _("ticket %(number)s is %(status)s: it cannot be taken"),
    "cannot_call_back": _("ticket %(number)s is %(status)s: its client cannot be called back"),
    "cannot_called_back": _("ticket %(number)s is %(status)s: a callback cannot be noted on it"),
    "cannot_note": _("ticket %(number)s is %(status)s: it cannot be annotated"),
    "cannot_change_priority": _("ticket %(number)s is %(status)s: its priority cannot change"),
    "cannot_log_time": _("ticket %(number)s is %(status)s: time cannot be logged on it"),
    "cannot_resolve": _("ticket %(number)s is %(status)s: it cannot be resolved"),
    "cannot_close": _("ticket %(number)s is %(status)s: it cannot be closed"),
    "cannot_reopen": _("ticket %(number)s is %(status)s: it cannot be reopened"),
    "empty_note": _("a note needs some text"),
    "priority_needs_reason": _("a change of priority needs a reason"),
    "not_to_verify": _("ticket %(number)s is not waiting for verification"),
    "not_their_contact": _("that contact is not one of that client's"),
    "verification_needs_reason": _("closing a message to verify needs a reason"),
    "no_mobile": _("%(name)s has no mobile number to be rung on"),
    "no_number_to_call": _("ticket %(number)s has no phone number to call back"),
    # time entries, hour banks and statements
    "unknown_value": _("%(field)s: unknown value %(value)s"),
    "not_whole_minutes": _("%(field)s: %(value)s is not a whole number of minutes"),
    "minutes_out_of_range": _("%(field)s: %(value)s is not between %(low)d and %(high)d minutes"),
    "not_true_or_false": _("%(value)s is neither yes nor no"),
    "not_whole_balance": _("balance: %(value)s is not a whole number"),
    "not_whole_hours": _("hours: %(value)s is not a whole number of hours"),
    "hours_out_of_range": _("hours: %(value)s is not between 1 and %(n)d"),
    "phone_no_travel": _("phone work has no travel time, distance or expenses"),
    "not_distance": _("distance: %(value)s is not a distance in kilometres"),
    "negative_expenses": _("expenses: %(value)s is negative"),
    "not_cents": _("expenses: %(value)s is not a whole number of cents"),
    "not_dollars": _("expenses: %(value)s is not an amount in dollars and cents"),
    "not_a_day": _("%(field)s: %(value)s is not a date"),
    "not_a_moment": _("%(field)s: %(value)s is not a date and time"),
    "skipped_moment": _(
        "%(field)s: %(value)s did not exist, the clocks having moved forward an hour"
    ),
    "bad_month": _("month: %(value)s is not between 1 and 12"),
    "bad_year": _("year: %(value)s is not a year of statements"),
    "invoice_required": _("invoice: the invoice reference is required"),
    "invoice_too_long": _("invoice: at most %(n)d characters"),
    "bought_in_future": _("purchase date: %(day)s is in the future"),
    "invoice_taken": _("invoice: %(invoice)s is already recorded for this client"),
    "no_such_purchase": _("no such purchase"),
    "already_paid": _("invoice %(invoice)s was already paid on %(day)s"),
    "paid_in_future": _("payment date: %(day)s is in the future"),
    "no_such_entry": _("no such time entry"),
    "correction_moves_ticket": _("a correction stays on the ticket of the entry it corrects"),
    "already_corrected": _("this time entry was already corrected"),
    "no_such_ticket": _("no such ticket"),
    "time_on_closed": _("ticket %(number)s is closed: time cannot be posted"),
    "no_client_to_charge": _("ticket %(number)s has no client to charge"),
    "other_client": _("ticket %(number)s belongs to another client"),
    "end_before_start": _("end: the end is not after the start"),
    "minutes_disagree": _(
        "minutes: %(value)s, but the start and the end make %(n)d: give one or the other"
    ),
    "work_not_done": _(
        "end: the work ends %(ends)s, later than now (%(now)s): post the time once the work is done"
    ),
    "work_long_before_ticket": _(
        "start: the work starts more than a year before ticket %(number)s was opened, on %(day)s"
    ),
    "minutes_needed": _("minutes: give the minutes worked, or a start and an end"),
    "onsite_needs_distance": _("distance: on-site work needs the site's distance from downtown"),
    "say_why": _("%(field)s: say why"),
    "reason_too_long_field": _("%(field)s: at most %(n)d characters"),
}

# The fields a refusal may name, as the forms label them.
FIELD_NAMES: dict[str, Any] = {
    "kind": _("where"),
    "category": _("category"),
    "urgency": _("urgency"),
    "urgency_reason": _("reason for the urgency"),
    "minutes": _("minutes"),
    "started_at": _("start"),
    "ended_at": _("end"),
    "starts_at": _("start"),
    "ends_at": _("end"),
    "at": _("moment"),
    "day": _("day"),
    "travel_minutes": _("travel time"),
    "why": _("why"),
    "bought_on": _("purchase date"),
    "paid_on": _("payment date"),
}


def refusal_text(refusal: Refused) -> str:
    """Why an act was refused, in the reader's language; the English text if the key is new."""
    text = REFUSALS.get(refusal.key)
    if text is None:
        return str(refusal)
    return str(text) % {name: _shown(name, value) for name, value in refusal.values.items()}


def _shown(name: str, value: Any) -> Any:
    """A refusal's value as the reader knows it: a field by its label, a status by its word,
    a moment and a day in the reader's style."""
    if name == "field":
        return str(FIELD_NAMES.get(value, value))
    if name == "status":
        return label(value)
    if isinstance(value, datetime):
        return when(value)
    if name == "day" and isinstance(value, date):
        return format_date(value, "long")
    return value


# The hidden field that carries a form's key (helpdesk.submissions).
SUBMISSION = "submission"


class Copy(Exception):
    """A copy of a form's submission that was acted on already."""


def submission_key() -> str:
    """A new key for a form a page shows (a template's ``submission_key()``)."""
    return uuid.uuid4().hex


def once(session: Session, staff_member_id: int) -> None:
    """Claim this form's submission in the act's unit of work; raise ``Copy`` when it was acted
    on already (a double click). A copy is the same key, person, act and fields: a form the
    browser restored and filled in anew is a new submission, never work dropped as a copy. A
    refused or failed act rolls its claim back with it, so the same form may be sent again. A
    post without a key (a script) is acted on each time."""
    key = request.form.get(SUBMISSION, "")
    if not key:
        return
    fields = sorted((k, v) for k, v in request.form.items(multi=True) if k != "csrf_token")
    said = json.dumps([key, staff_member_id, request.path, fields], ensure_ascii=False)
    if not submissions.claim(session, hashlib.sha256(said.encode()).hexdigest(), staff_member_id):
        raise Copy


def refuse(refusal: Refused) -> None:
    """Show a refusal at the top of the next page."""
    flash(gettext("Refused: %(why)s", why=refusal_text(refusal)), "error")


@contextmanager
def reported(done: str) -> Iterator[None]:
    """Around a form's act (reading its fields, its unit of work): at the top of the next page,
    the act's refusal if it was refused, else ``done``."""
    try:
        yield
    except Refused as refusal:
        refuse(refusal)
    else:
        flash(done, "info")


def field(name: str) -> str:
    return request.form.get(name, "").strip()


def checked(name: str) -> bool:
    return request.form.get(name) in ("on", "true", "1")


def choice(name: str, kind: type[E]) -> E:
    try:
        return kind(field(name))
    except ValueError:
        raise Refused("bad_choice", "unknown value %(value)s", value=field(name)) from None


def number(name: str) -> int:
    try:
        return inputs.integer(field(name))
    except ValueError:
        raise Refused("bad_choice", "unknown value %(value)s", value=field(name)) from None


def day(raw: str) -> date:
    """A date field ("2026-12-24") in a sane year."""
    if not raw.strip():
        raise Refused("date_needed", "a date is needed")
    found = inputs.day(raw)
    if found is None:
        raise Refused("bad_day", "%(value)s is not a date", value=raw)
    return found


def wall_time(raw: str) -> time | None:
    if not raw:
        return None
    try:
        return time.fromisoformat(raw)
    except ValueError:
        raise Refused("bad_date", "%(value)s is not a date and time", value=raw) from None


def local_moment(raw: str, zone: ZoneInfo, field: str) -> datetime:
    """A datetime-local field ("2026-12-01T10:15"), read as Montreal wall-clock time; a time
    the spring change skipped is refused, naming ``field``."""
    if not raw.strip():
        raise Refused("moment_needed", "a date and a time are needed")
    moment = inputs.moment(raw)
    if moment is None:
        # Far years overflow once moved to UTC (9999-12-31T23:59 in Montreal).
        raise Refused("bad_date", "%(value)s is not a date and time", value=raw)
    if moment.tzinfo is not None:
        return moment
    if inputs.never_shown(moment, zone):
        raise Refused(
            "skipped_moment",
            "%(field)s: %(value)s did not exist, the clocks having moved forward an hour",
            field=field,
            value=raw.strip(),
        )
    return moment.replace(tzinfo=zone)


def local_input(moment: datetime, zone: ZoneInfo) -> str:
    """The value of a datetime-local field for ``moment``."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
