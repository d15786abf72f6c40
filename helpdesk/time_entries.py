"""Time entries on tickets: checked, charged as the policy says, and paid from the hour bank.

Raw time (as worked) and charged time (after minimums and blocks) are kept apart. The bank pays
what it may and what it holds; the rest is charged outside it (the overage). Travel beyond the
free radius is charged on top, never from the bank. An entry is never edited: a correction
reverses what the bank paid for it and posts the corrected entry, which names the one it
replaces, who corrected it and why. Functions take the caller's session and never commit;
anything refused raises InvalidEntry before the ledger is written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

import billing
from billing import Charge, InvalidEntry, Split, TravelCharge
from helpdesk import banks, interventions, tickets
from models import (
    Client,
    Line,
    StaffMember,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    TimeEntry,
    WorkCategory,
    WorkKind,
    current_time,
)

REASON_MAX_CHARS = 500
# Work typed more than a year before the ticket is a year typed wrong (1900). Within it, the
# technician's word stands: work the night before a ticket was opened.
WITHIN = timedelta(days=366)
# Time is logged once the work is done: it is billed and announced to the client at once. A
# technician's clock may run a little ahead of the server's; beyond that, an end after now is
# work not done yet, or a typo (14:00 for 8:00).
CLOCK_SLACK = timedelta(minutes=5)
# The console and the CLI may say "ddm", the policy's word for a change request.
CATEGORY_WORDS = {"ddm": WorkCategory.CHANGE_REQUEST}


@dataclass(frozen=True)
class EntryForm:
    """A time entry as a door reads it. ``urgency`` None: the ticket's own. The duration is
    ``minutes``, or ``started_at`` to ``ended_at``. ``distance_km`` None: the client's site."""

    ticket_id: int
    technician_id: int
    kind: str
    category: str = WorkCategory.SUPPORT.value
    urgency: str | None = None
    urgency_reason: str = ""
    minutes: int | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    travel_minutes: int = 0
    distance_km: float | None = None
    expenses_cents: int = 0
    client_id: int | None = None  # the client the door means to charge; another's is refused
    note: str = ""
    reached_client: bool = False  # the technician says this work reached the client


@dataclass(frozen=True)
class Checked:
    """An entry that passed every check, in the model's words."""

    ticket: Ticket
    client: Client
    kind: WorkKind
    category: WorkCategory
    urgency: Line
    started_at: datetime
    minutes: int
    distance_km: float


@dataclass(frozen=True)
class Preview:
    """What an entry would charge and what the bank would pay, before anything is written."""

    raw_minutes: int
    charge: Charge
    split: Split
    travel: TravelCharge
    balance_before: int
    has_bank: bool

    @property
    def balance_after(self) -> int:
        return self.balance_before - self.split.bank_paid


def preview(session: Session, form: EntryForm) -> Preview:
    """Charge the entry without writing anything."""
    checked = check(session, form, allow_closed=False)
    return _priced(session, checked, form)


def post(session: Session, form: EntryForm, posted_by_id: int, *, low_minutes: int) -> TimeEntry:
    """Post a time entry on an open ticket and debit the client's bank for its part."""
    checked = check(session, form, allow_closed=False)
    _reached_by_work(session, checked, form)
    entry = _write(session, checked, form, posted_by_id, low_minutes)
    interventions.announce_time_entry(checked.ticket, entry.id)  # the client is told of it
    return entry


def _reached_by_work(session: Session, checked: Checked, form: EntryForm) -> None:
    """Work that reached the client is the first response: on-site work (they were there), or
    work by phone the technician says reached them; desk work, training or a change request
    logged "by phone" reaches nobody. It counts from the start the technician gave, else from
    the moment it is posted: minutes alone do not say when the client was reached, and "now
    less the minutes" could fall before a callback attempt that reached nobody. Never before
    the ticket, never after now (a clock a few minutes ahead); work on a message to verify
    reaches nobody."""
    ticket, now = checked.ticket, current_time(session)
    if ticket.to_verify or not (checked.kind == WorkKind.ONSITE or form.reached_client):
        return
    moment = min(max(form.started_at or now, ticket.created_at), now)
    tickets.first_response(ticket, moment, form.technician_id)


def correct(
    session: Session,
    entry_id: int,
    form: EntryForm,
    posted_by_id: int,
    why: str,
    *,
    low_minutes: int,
) -> TimeEntry:
    """Replace a posted entry: give back what the bank paid for it, post the corrected one."""
    old = session.get(TimeEntry, entry_id)
    if old is None:
        raise InvalidEntry("no_such_entry", "entry: no time entry %(id)s", id=entry_id)
    reason = _reason("why", why, required=True)
    if form.ticket_id != old.ticket_id:
        raise InvalidEntry(
            "correction_moves_ticket",
            "ticket: a correction stays on the ticket of the entry it corrects",
        )
    if corrected_by(session, old.id) is not None:
        raise InvalidEntry(
            "already_corrected", "entry: time entry %(id)s was already corrected", id=entry_id
        )
    checked = check(session, form, allow_closed=True)  # a closed ticket's time may be corrected
    banks.locked_client(session, old.client_id)
    banks.reverse_debits(session, old, posted_by_id, reason)
    entry = _write(session, checked, form, posted_by_id, low_minutes, old=old, why=reason)
    interventions.announce_time_entry(checked.ticket, entry.id)  # what the client was told changed
    return entry


def corrected_by(session: Session, entry_id: int) -> TimeEntry | None:
    """The entry that replaced ``entry_id``, if it was corrected."""
    return session.scalars(select(TimeEntry).where(TimeEntry.corrects_id == entry_id)).first()


def of_ticket(session: Session, ticket_id: int) -> list[TimeEntry]:
    """The ticket's entries, oldest first, corrected ones included."""
    query = select(TimeEntry).where(TimeEntry.ticket_id == ticket_id).order_by(TimeEntry.id)
    return list(session.scalars(query))


def check(session: Session, form: EntryForm, *, allow_closed: bool) -> Checked:
    """Refuse what the policy or common sense refuses, saying what is wrong."""
    ticket, client = _ticket_and_client(session, form, allow_closed)
    _technician(session, form.technician_id)
    kind = _word(WorkKind, "kind", form.kind)
    category = _word(WorkCategory, "category", form.category, CATEGORY_WORDS)
    urgency = _urgency(ticket, form)
    now = current_time(session)
    started_at, minutes = _duration(form, now)
    # In UTC: a Montreal time plus minutes would add them on the wall clock (the autumn night).
    _done(started_at.astimezone(UTC) + timedelta(minutes=minutes), started_at, now)
    _within_the_ticket(ticket, started_at)
    return Checked(
        ticket, client, kind, category, urgency, started_at, minutes, _distance(form, kind, client)
    )


def _ticket_and_client(
    session: Session, form: EntryForm, allow_closed: bool
) -> tuple[Ticket, Client]:
    ticket = session.get(Ticket, form.ticket_id)
    if ticket is None:
        raise InvalidEntry("no_such_ticket", "ticket: no ticket with id %(id)s", id=form.ticket_id)
    if ticket.status == TicketStatus.CLOSED and not allow_closed:
        raise InvalidEntry(
            "time_on_closed",
            "ticket: ticket %(number)s is closed; time cannot be posted",
            number=ticket.number,
        )
    if ticket.client_id is None:
        raise InvalidEntry(
            "no_client_to_charge",
            "ticket: ticket %(number)s has no client to charge",
            number=ticket.number,
        )
    if form.client_id is not None and form.client_id != ticket.client_id:
        raise InvalidEntry(
            "other_client",
            "ticket: ticket %(number)s belongs to another client",
            number=ticket.number,
        )
    client = session.get(Client, ticket.client_id)
    assert client is not None  # a foreign key
    return ticket, client


def _technician(session: Session, staff_member_id: int) -> StaffMember:
    person = session.get(StaffMember, staff_member_id)
    if person is None or not person.active:
        raise InvalidEntry(
            "no_such_staff",
            "technician: no active staff member with id %(id)s",
            id=staff_member_id,
        )
    return person


E = TypeVar("E", WorkKind, WorkCategory)


def _word(vocabulary: type[E], field: str, value: str, aliases: dict[str, E] | None = None) -> E:
    if aliases and value in aliases:
        return aliases[value]
    try:
        return vocabulary(value)
    except ValueError:
        allowed = ", ".join([*_values(vocabulary), *(aliases or {})])
        raise InvalidEntry(
            "unknown_value",
            "%(field)s: unknown value %(value)r (allowed: %(allowed)s)",
            field=field,
            value=value,
            allowed=allowed,
        ) from None


def _values(vocabulary: type[StrEnum]) -> list[str]:
    return [member.value for member in vocabulary]


def _urgency(ticket: Ticket, form: EntryForm) -> Line:
    if form.urgency is None or form.urgency == "":
        return ticket.priority
    try:
        urgency = Line(form.urgency)
    except ValueError:
        raise InvalidEntry(
            "unknown_value",
            "%(field)s: unknown value %(value)r (allowed: %(allowed)s)",
            field="urgency",
            value=form.urgency,
            allowed="regular, urgent",
        ) from None
    if urgency != ticket.priority:
        _reason("urgency_reason", form.urgency_reason, required=True)
    return urgency


def _elapsed(start: datetime, end: datetime) -> timedelta:
    """The real time between two local moments. Two times in one zone subtract as clock
    readings, so the night the clocks change would count an hour wrong: they are compared in
    UTC. An end the clock shows twice (the autumn night) is its second showing when the first
    would not come after the start."""
    if start.tzinfo is None or end.tzinfo is None:  # a host's zone would be taken for ours
        raise TypeError("a start and an end carry their time zone")
    elapsed = end.astimezone(UTC) - start.astimezone(UTC)
    if elapsed < timedelta(0) and not end.fold:  # the same reading twice stays refused
        elapsed = end.replace(fold=1).astimezone(UTC) - start.astimezone(UTC)
    return elapsed


def _duration(form: EntryForm, now: datetime) -> tuple[datetime, int]:
    """(start, raw minutes) from minutes or from start and end; more than a day is refused, and
    minutes that say otherwise than the start and end beside them."""
    if form.started_at is not None and form.ended_at is not None:
        seconds = _elapsed(form.started_at, form.ended_at).total_seconds()
        if seconds <= 0:
            raise InvalidEntry("end_before_start", "ended_at: the end is not after the start")
        # A started minute is a minute worked.
        minutes = _minutes(math.ceil(seconds / 60))
        if form.minutes is not None and form.minutes != minutes:
            raise InvalidEntry(
                "minutes_disagree",
                "minutes: %(value)s, but the start and the end make %(n)d: give one or the other",
                value=form.minutes,
                n=minutes,
            )
        return form.started_at, minutes
    if form.minutes is None:
        raise InvalidEntry(
            "minutes_needed", "minutes: give the minutes worked, or a start and an end"
        )
    minutes = _minutes(form.minutes)
    return form.started_at or now - timedelta(minutes=minutes), minutes


def _done(ends: datetime, started_at: datetime, now: datetime) -> None:
    """Refuse work that ends after now (give or take the clock's slack): it is not done yet."""
    if ends > now + CLOCK_SLACK:
        zone = started_at.tzinfo
        raise InvalidEntry(
            "work_not_done",
            "ended_at: the work ends %(ends)s, later than now (%(now)s): "
            "post the time once the work is done",
            ends=ends.astimezone(zone),
            now=now.astimezone(zone),
        )


def _within_the_ticket(ticket: Ticket, started_at: datetime) -> None:
    """Refuse work typed a year or more before the ticket's time: a year typed wrong."""
    if started_at < ticket.created_at - WITHIN:
        zone = started_at.tzinfo
        raise InvalidEntry(
            "work_long_before_ticket",
            "started_at: the work starts more than a year before ticket %(number)s was opened, "
            "on %(day)s",
            number=ticket.number,
            day=ticket.created_at.astimezone(zone).date(),
        )


def _minutes(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidEntry(
            "not_whole_minutes",
            "%(field)s: %(value)r is not a whole number of minutes",
            field="minutes",
            value=value,
        )
    if not 1 <= value <= billing.vocabulary.MAX_MINUTES:
        raise InvalidEntry(
            "minutes_out_of_range",
            "%(field)s: %(value)s is not between %(low)d and %(high)d minutes",
            field="minutes",
            value=value,
            low=1,
            high=billing.vocabulary.MAX_MINUTES,
        )
    return value


def _distance(form: EntryForm, kind: WorkKind, client: Client) -> float:
    if kind == WorkKind.PHONE:
        if form.travel_minutes or form.expenses_cents or form.distance_km:
            raise InvalidEntry(
                "phone_no_travel", "travel: phone work has no travel time, distance or expenses"
            )
        return 0.0
    distance = client.distance_km if form.distance_km is None else form.distance_km
    if not distance or distance <= 0:
        raise InvalidEntry(
            "onsite_needs_distance",
            "distance_km: on-site work needs the site's distance from downtown",
        )
    return float(distance)


def _reason(field: str, text: str, *, required: bool) -> str:
    text = text.strip()
    if required and not text:
        raise InvalidEntry("say_why", "%(field)s: say why", field=field)
    if len(text) > REASON_MAX_CHARS:
        raise InvalidEntry(
            "reason_too_long_field",
            "%(field)s: at most %(n)d characters",
            field=field,
            n=REASON_MAX_CHARS,
        )
    return text


def _priced(session: Session, checked: Checked, form: EntryForm) -> Preview:
    has_bank = banks.has_bank(session, checked.client)
    charged = billing.charge(
        checked.urgency.value, checked.kind.value, checked.minutes, has_bank, checked.category
    )
    held = banks.balance(session, checked.client.id)
    travel = billing.travel(
        checked.distance_km, form.travel_minutes, form.expenses_cents, where=checked.kind.value
    )
    split = billing.split_against_balance(charged, held)
    return Preview(checked.minutes, charged, split, travel, held, has_bank)


def _write(
    session: Session,
    checked: Checked,
    form: EntryForm,
    posted_by_id: int,
    low_minutes: int,
    *,
    old: TimeEntry | None = None,
    why: str = "",
) -> TimeEntry:
    banks.locked_client(session, checked.client.id)  # the balance read below stays true
    priced = _priced(session, checked, form)
    entry = TimeEntry(
        ticket_id=checked.ticket.id,
        client_id=checked.client.id,
        staff_member_id=form.technician_id,
        posted_by_id=posted_by_id,
        kind=checked.kind,
        category=checked.category,
        urgency=checked.urgency,
        urgency_reason=_urgency_reason(checked, form),
        started_at=checked.started_at,
        minutes=checked.minutes,
        billed_minutes=priced.charge.charged_minutes,
        bank_minutes=priced.split.bank_paid,
        overage_minutes=priced.split.overage,
        travel_km=checked.distance_km,
        travel_minutes=form.travel_minutes,
        travel_billed_minutes=priced.travel.charged_travel_minutes,
        expenses_cents=form.expenses_cents,
        expenses_billed_cents=priced.travel.charged_expenses_cents,
        corrects_id=old.id if old else None,
        correction_reason=why,
        note=_reason("note", form.note, required=False),
        created_at=current_time(session),
    )
    session.add(entry)
    session.flush()
    banks.debit(session, entry, priced.split.bank_paid, low_minutes=low_minutes)
    _history(checked.ticket, entry, old)
    return entry


def _urgency_reason(checked: Checked, form: EntryForm) -> str:
    changed = checked.urgency != checked.ticket.priority
    return _reason("urgency_reason", form.urgency_reason, required=changed) if changed else ""


def _history(ticket: Ticket, entry: TimeEntry, old: TimeEntry | None) -> None:
    data: dict[str, object] = {
        "entry": entry.id,
        "raw": entry.minutes,
        "charged": entry.billed_minutes,
    }
    if old is not None:
        data |= {"corrects": old.id, "why": entry.correction_reason}
    kind = TicketEventKind.TIME_CORRECTED if old else TicketEventKind.TIME_POSTED
    ticket.events.append(TicketEvent(kind=kind, staff_member_id=entry.posted_by_id, data=data))
