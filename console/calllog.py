"""The supervisors' call log: its filters and columns as tables, and keyset pagination.

Pages are ordered newest first by (started_at, id), and the next page starts strictly after the
last row shown, so a call that arrives while a supervisor pages never shifts or repeats a row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _
from sqlalchemy import ColumnElement, and_, func, literal, or_, select, union
from sqlalchemy.orm import Session, aliased, selectinload

from console.filters import label
from models import (
    Call,
    CallDirection,
    CallOutcome,
    CallRing,
    Client,
    Contact,
    Line,
    Recording,
    StaffMember,
    Ticket,
    WhisperAnswer,
)
from web import inputs

PAGE_SIZE = 50
# The CSV export reads the log in keyset pages of this many rows, one short read each, and
# streams them as they come: no cap, and neither the rows nor the file are ever held whole.
EXPORT_CHUNK = 1_000


def _day(raw: str) -> date:
    day = date.fromisoformat(raw)
    if day.year not in inputs.SANE_YEARS:
        raise ValueError(f"{raw} is out of range")
    return day


def _digits(raw: str) -> str:
    digits = re.sub(r"\D", "", raw)
    if len(digits) < 3:
        raise ValueError("at least 3 digits")
    return digits[-10:]


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _rung_or_called_back(staff_id: int) -> ColumnElement[bool]:
    # One IN over a UNION, not an OR of two conditions: PostgreSQL can then join on the two
    # staff indexes for somebody with few calls, instead of reading the whole log by date
    # (bench/console_pages.py measures it).
    called_back = select(Call.id).where(Call.staff_member_id == staff_id)
    rung = select(CallRing.call_id).where(CallRing.staff_member_id == staff_id)
    return Call.id.in_(union(called_back, rung))


def _either_party(digits: str) -> ColumnElement[bool]:
    return or_(Call.from_number.contains(digits), Call.to_number.contains(digits))


def _client(account: str) -> ColumnElement[bool]:
    return Call.client_id.in_(select(Client.id).where(Client.account == account))


def _yes(raw: str) -> bool:
    if raw not in ("1", "on", "yes"):
        raise ValueError(raw)
    return True


def _message_left() -> ColumnElement[bool]:
    """A call whose caller left a message, whatever its outcome says (after hours, a stranger's
    message to verify): the outcome filter keeps one outcome, as the dashboard counts them."""
    return select(Recording.id).where(Recording.call_id == Call.id).exists()


@dataclass(frozen=True)
class Filter:
    """One filter of the call log: its query parameter, how it is read, what it keeps."""

    name: str
    parse: Callable[[str], Any]  # raises ValueError on a value it cannot read
    where: Callable[[Any, ZoneInfo], ColumnElement[bool]]


FILTERS: tuple[Filter, ...] = (
    Filter("from", _day, lambda day, zone: Call.started_at >= _midnight(day, zone)),
    Filter(
        "to",
        _day,
        lambda day, zone: Call.started_at < _midnight(day + timedelta(days=1), zone),
    ),
    Filter("line", Line, lambda line, _zone: Call.line == line),
    Filter("outcome", CallOutcome, lambda outcome, _zone: Call.outcome == outcome),
    Filter("message", _yes, lambda _given, _zone: _message_left()),
    Filter("direction", CallDirection, lambda way, _zone: Call.direction == way),
    Filter("client", lambda raw: raw.strip()[:20], lambda account, _zone: _client(account)),
    Filter("number", _digits, lambda digits, _zone: _either_party(digits)),
    Filter(
        "technician",
        inputs.integer,
        lambda staff_id, _zone: _rung_or_called_back(staff_id),
    ),
)


@dataclass(frozen=True)
class Filters:
    values: Mapping[str, Any]  # the filters that were given and read
    raw: Mapping[str, str]  # what the form said, to show it again
    invalid: tuple[str, ...]  # names of the filters whose value could not be read (ignored)
    table: tuple[Filter, ...] = FILTERS  # the page's filters (the ticket list has its own)

    def where(self, zone: ZoneInfo) -> list[ColumnElement[bool]]:
        return [f.where(self.values[f.name], zone) for f in self.table if f.name in self.values]


def read_filters(args: Mapping[str, str], table: tuple[Filter, ...] = FILTERS) -> Filters:
    values: dict[str, Any] = {}
    raw: dict[str, str] = {}
    invalid: list[str] = []
    for each in table:
        given = (args.get(each.name) or "").strip()
        if not given:
            continue
        raw[each.name] = given
        try:
            values[each.name] = each.parse(given)
        except ValueError:
            invalid.append(each.name)
    return Filters(values, raw, tuple(invalid), table)


def cursor_of(call: Call) -> str:
    return f"{call.started_at.astimezone(UTC).isoformat()}_{call.id}"


def read_cursor(raw: str) -> tuple[datetime, int] | None:
    moment, _, ident = raw.partition("_")
    try:
        started = datetime.fromisoformat(moment)
        if started.tzinfo is None or started.year not in inputs.SANE_YEARS:
            return None
        return started.astimezone(UTC), inputs.integer(ident)
    except (ValueError, OverflowError):  # 9999-12-31T23:59-14:00 is past year 9999 in UTC
        return None


@dataclass(frozen=True)
class CallRow:
    call: Call
    client: str | None
    contact: str | None
    ticket: int | None
    technician: str | None  # who accepted it (CATA) or placed it (callback)
    messages: int = 0  # the caller's recorded messages

    @property
    def message_beside_outcome(self) -> bool:
        """A message left on a call whose outcome says something else (after hours, a
        stranger's): the supervisor sees it was left."""
        return self.messages > 0 and self.call.outcome != CallOutcome.MESSAGE


def _statement(filters: Filters, zone: ZoneInfo, counted: bool) -> Any:
    technician = aliased(StaffMember)
    messages = select(func.count(Recording.id)).where(Recording.call_id == Call.id)
    return (
        select(
            Call,
            Client.name,
            Contact.name,
            Ticket.number,
            technician.name,
            messages.scalar_subquery() if counted else literal(0),
        )
        .outerjoin(Client, Client.id == Call.client_id)
        .outerjoin(Contact, Contact.id == Call.contact_id)
        .outerjoin(Ticket, Ticket.id == Call.ticket_id)
        .outerjoin(technician, technician.id == Call.staff_member_id)
        .where(*filters.where(zone))
        .options(selectinload(Call.rings))
        .order_by(Call.started_at.desc(), Call.id.desc())
    )


def _rows(session: Session, statement: Any, names: Mapping[int, str]) -> list[CallRow]:
    rows = []
    for call, client, contact, ticket, technician, messages in session.execute(statement).all():
        accepted = [r for r in call.rings if r.answer == WhisperAnswer.ACCEPTED]
        who = technician or (names.get(accepted[0].staff_member_id) if accepted else None)
        rows.append(CallRow(call, client, contact, ticket, who, messages))
    return rows


def page(
    session: Session,
    filters: Filters,
    zone: ZoneInfo,
    names: Mapping[int, str],
    after: tuple[datetime, int] | None = None,
    size: int = PAGE_SIZE,
    *,
    counted: bool = True,
) -> tuple[list[CallRow], str | None]:
    """One page of the filtered log, and the cursor of the next page (None on the last).
    ``counted``: each call's messages counted (the page shows them; the CSV export has no
    column for them)."""
    statement = _statement(filters, zone, counted)
    if after is not None:
        started, ident = after
        statement = statement.where(
            or_(Call.started_at < started, and_(Call.started_at == started, Call.id < ident))
        )
    rows = _rows(session, statement.limit(size + 1), names)
    more = len(rows) > size
    rows = rows[:size]
    return rows, (cursor_of(rows[-1].call) if more and rows else None)


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _word(value: Any) -> str:
    return label(value) if value else ""


# The CSV export's columns: header, and the cell of a row (times in the company's time zone,
# codes as the reader's words).
COLUMNS: tuple[tuple[Any, Callable[[CallRow, ZoneInfo], Any]], ...] = (
    (_("start"), lambda r, zone: _local(r.call.started_at, zone)),
    (_("end"), lambda r, zone: _local(r.call.ended_at, zone)),
    (_("direction"), lambda r, _zone: _word(r.call.direction)),
    (_("line"), lambda r, _zone: _word(r.call.line)),
    (_("from"), lambda r, _zone: r.call.from_number),
    (_("to"), lambda r, _zone: r.call.to_number),
    (_("client"), lambda r, _zone: r.client or ""),
    (_("contact"), lambda r, _zone: r.contact or ""),
    (_("outcome"), lambda r, _zone: _word(r.call.outcome)),
    (_("status"), lambda r, _zone: _word(r.call.status)),
    (_("seconds"), lambda r, _zone: r.call.duration_seconds or ""),
    (_("ticket"), lambda r, _zone: r.ticket or ""),
    (_("technician"), lambda r, _zone: r.technician or ""),
    (_("Twilio call SID"), lambda r, _zone: r.call.call_sid),
)

_PHONE = re.compile(r"^\+?\d+$")


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (phone numbers keep their +)."""
    if not isinstance(value, str) or not value or _PHONE.match(value):
        return value
    return "'" + value if value[0] in "=+-@\t\r" else value


def csv_header() -> list[str]:
    """The export's header, in the reader's language."""
    return [str(name) for name, _cell in COLUMNS]


def csv_rows(rows: Sequence[CallRow], zone: ZoneInfo) -> list[list[Any]]:
    """The export's lines for these rows (the header apart)."""
    return [[safe_cell(cell(row, zone)) for _name, cell in COLUMNS] for row in rows]
