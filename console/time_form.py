"""A time entry as the console's form sends it: text fields read into the service's EntryForm.

A value that is not a number is refused here with the field's name, as the service refuses the
rest; the start and end are Montreal times (``datetime-local`` fields carry no zone).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from billing import InvalidEntry
from helpdesk.time_entries import EntryForm
from web import inputs

# The form's fields, each with its default: the page refills them after a preview.
FIELDS = {
    "kind": "phone",
    "category": "support",
    "urgency": "",
    "urgency_reason": "",
    "minutes": "",
    "started_at": "",
    "ended_at": "",
    "distance_km": "",
    "travel_minutes": "",
    "expenses": "",
    "note": "",
    "reached": "",  # a checkbox: "yes" when the work reached the client, absent otherwise
}

MOST_KILOMETRES = 100_000  # beyond any trip
MOST_DOLLARS = 10_000_000  # beyond any expense


def values(form: Mapping[str, str]) -> dict[str, str]:
    """The form's fields as sent (trimmed), defaults for those missing."""
    return {name: str(form.get(name, default)).strip() for name, default in FIELDS.items()}


def read(form: Mapping[str, str], ticket_id: int, technician_id: int, zone: ZoneInfo) -> EntryForm:
    """The service's EntryForm from the form's text; InvalidEntry naming a field that is not
    a number or a time."""
    v = values(form)
    return EntryForm(
        ticket_id=ticket_id,
        technician_id=technician_id,
        kind=v["kind"],
        category=v["category"],
        urgency=v["urgency"] or None,
        urgency_reason=v["urgency_reason"],
        minutes=_whole("minutes", v["minutes"]),
        started_at=_moment("started_at", v["started_at"], zone),
        ended_at=_moment("ended_at", v["ended_at"], zone),
        distance_km=_kilometres(v["distance_km"]),
        travel_minutes=_whole("travel_minutes", v["travel_minutes"]) or 0,
        expenses_cents=_cents(v["expenses"]),
        note=v["note"],
        reached_client=v["reached"] == "yes",
    )


def _whole(field: str, text: str) -> int | None:
    if not text:
        return None
    try:
        return inputs.integer(text)
    except ValueError:
        raise InvalidEntry(
            "not_whole_minutes",
            "%(field)s: %(value)r is not a whole number of minutes",
            field=field,
            value=text,
        ) from None


def _kilometres(text: str) -> float | None:
    if not text:
        return None
    try:
        return inputs.measure(float(inputs.ascii_number(text).replace(",", ".")), MOST_KILOMETRES)
    except ValueError:
        raise InvalidEntry(
            "not_distance", "distance_km: %(value)r is not a distance in kilometres", value=text
        ) from None


def _cents(text: str) -> int:
    if not text:
        return 0
    try:
        amount = Decimal(inputs.ascii_number(text).replace(",", ".").replace("$", "").strip())
    except (InvalidOperation, ValueError):
        raise InvalidEntry(
            "not_dollars", "expenses: %(value)r is not an amount in dollars", value=text
        ) from None
    if not amount.is_finite() or abs(amount) > MOST_DOLLARS:
        raise InvalidEntry(
            "not_dollars", "expenses: %(value)r is not an amount in dollars", value=text
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidEntry(
            "not_dollars", "expenses: %(value)r is not an amount in dollars and cents", value=text
        )
    return int(amount * 100)


def _moment(field: str, text: str, zone: ZoneInfo) -> datetime | None:
    if not text:
        return None
    moment = inputs.moment(text)  # "99991231T2359" passes the door's shape, not this
    if moment is None:
        raise InvalidEntry(
            "not_a_moment", "%(field)s: %(value)r is not a date and time", field=field, value=text
        )
    shown = moment.replace(tzinfo=None)  # the clock's reading: datetime-local has no zone
    if inputs.never_shown(shown, zone):
        raise InvalidEntry(
            "skipped_moment",
            "%(field)s: %(value)s did not exist, the clocks having moved forward an hour",
            field=field,
            value=text,
        )
    return shown.replace(tzinfo=zone)
