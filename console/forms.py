"""Reading the supervisors' forms: Montreal dates and times, choices, and refusals in the
reader's language. A value that does not parse is a refusal shown on the page, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import flash, request
from flask_babel import gettext, lazy_gettext

from helpdesk.refusals import Refused
from web import inputs

_ = lazy_gettext
E = TypeVar("E", bound=StrEnum)

# The helpdesk's refusals, by key, in the reader's language.
REFUSALS: dict[str, Any] = {
    "closure_ends_before_start": _("a closure must end after it starts"),
    "no_such_closure": _("no such closure"),
    "unknown_schedule": _("unknown schedule %(schedule)s"),
    "override_ends_in_past": _("the switch must end later than now"),
    "no_such_override": _("no such switch in force"),
    "reason_too_long": _("the reason is longer than %(n)d characters"),
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
    "bad_email": _("%(email)s is not an email address"),
    "bad_phone": _("%(phone)s is not a valid phone number"),
    "phone_taken": _("%(phone)s is already the number of %(owner)s"),
    "too_many_authorized": _(
        "%(client)s already has %(limit)d authorized contacts: the policy allows at most "
        "%(limit)d. Withdraw one's authorization first."
    ),
    "code_needs_authorized": _("only an authorized contact can have a code"),
    "bad_code": _("a personal code is %(n)d digits"),
    "code_too_easy": _("this code is too easy to guess"),
    "code_taken": _("another contact of this client has this code"),
    "staff_needs_name": _("a staff member needs a name"),
    "email_taken": _("%(email)s is already a staff member's"),
    "bad_date": _("%(value)s is not a date and time"),
    "bad_choice": _("unknown value %(value)s"),
}


def refuse(refusal: Refused) -> None:
    """Show a refusal at the top of the next page."""
    text = REFUSALS.get(refusal.key)
    why = str(text) % refusal.values if text is not None else str(refusal)
    flash(gettext("Refused: %(why)s", why=why), "error")


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
        return inputs.within(int(field(name)))
    except ValueError:
        raise Refused("bad_choice", "unknown value %(value)s", value=field(name)) from None


def day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Refused("bad_date", "%(value)s is not a date and time", value=raw) from None


def wall_time(raw: str) -> time | None:
    if not raw:
        return None
    try:
        return time.fromisoformat(raw)
    except ValueError:
        raise Refused("bad_date", "%(value)s is not a date and time", value=raw) from None


def local_moment(raw: str, zone: ZoneInfo) -> datetime:
    """A datetime-local field ("2026-12-01T10:15"), read as Montreal wall-clock time."""
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise Refused("bad_date", "%(value)s is not a date and time", value=raw) from None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def local_input(moment: datetime, zone: ZoneInfo) -> str:
    """The value of a datetime-local field for ``moment``."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
