"""A client's monthly statement: every time entry (raw and charged time, what the bank paid,
overage and travel charged outside it), every purchase and reversal, and the running balance.

Built from the ledger and the time entries alone, so its closing balance is the ledger's.
Every line is where it was recorded, so the running balance beside an entry is what the bank
held when that entry was charged. The month is Montreal's calendar month.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing import InvalidEntry
from helpdesk import banks
from models import BankReason, BankTransaction, Client, StaffMember, Ticket, TimeEntry


@dataclass(frozen=True)
class Row:
    at: datetime  # when it was recorded: when it moved the balance
    what: str  # "purchase", "entry", "reversal" (the bank's part given back) or "correction"
    ticket: int | None = None
    technician: str = ""
    work: str = ""  # "regular phone support", as codes: "regular/phone/support"
    raw_minutes: int = 0
    charged_minutes: int = 0
    bank_minutes: int = 0  # the balance's movement: + purchase or reversal, - debit
    overage_minutes: int = 0
    travel_minutes: int = 0
    expenses_cents: int = 0
    invoice: str = ""
    invoiced_on: date | None = None  # a purchase's invoice date
    note: str = ""
    balance: int = 0  # after this row
    corrects: int | None = None  # the entry this one corrects


# The rows whose bank minutes are hours bought, and hours used: the totals show them apart, so
# that 10 h bought and 10 h used read as such and not as a bank that did not move.
BOUGHT = ("purchase",)
USED = ("entry", "reversal")


@dataclass(frozen=True)
class Statement:
    client: Client
    month: date  # its first day
    opening: int
    rows: list[Row]

    @property
    def closing(self) -> int:
        return self.rows[-1].balance if self.rows else self.opening

    @property
    def last_day(self) -> date:
        """The month's last day: the day of its closing balance."""
        return _next_month(self.month) - timedelta(days=1)

    def total(self, field: str) -> int:
        return sum(int(getattr(row, field)) for row in self.rows)

    @property
    def bought(self) -> int:
        """Minutes the month's purchases put in the bank."""
        return self._bank_minutes(BOUGHT)

    @property
    def used(self) -> int:
        """Minutes the month's entries took from the bank (negative), net of what corrections
        gave back."""
        return self._bank_minutes(USED)

    def _bank_minutes(self, kinds: tuple[str, ...]) -> int:
        return sum(row.bank_minutes for row in self.rows if row.what in kinds)


def month_bounds(year: int, month: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in Montreal time."""
    if not 1 <= month <= 12:
        raise InvalidEntry("bad_month", "month: %(value)s is not between 1 and 12", value=month)
    if not date.min.year <= year < date.max.year:  # year 0, or 9999 whose next month is 10000
        raise InvalidEntry("bad_year", "year: %(value)s is not a year of statements", value=year)
    first = date(year, month, 1)
    return datetime.combine(first, time(), zone), datetime.combine(_next_month(first), time(), zone)


def _next_month(first: date) -> date:
    """The first day of the month after the one that starts on ``first``."""
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def statement(session: Session, client_id: int, year: int, month: int, zone: ZoneInfo) -> Statement:
    """The client's statement for one month."""
    client = session.get(Client, client_id)
    if client is None:
        raise InvalidEntry("no_such_client", "client: no client with id %(id)s", id=client_id)
    start, end = month_bounds(year, month, zone)
    opening = banks.balance(session, client_id, until=start)
    rows = sorted(
        [
            *_ledger_rows(session, client_id, start, end, zone),
            *_entry_rows(session, client_id, start, end),
        ],
        key=lambda row: row[0],
    )
    running, done = opening, []
    for _, row in rows:
        running += row.bank_minutes
        done.append(replace(row, balance=running))
    return Statement(client, date(year, month, 1), opening, done)


def _ledger_rows(
    session: Session, client_id: int, start: datetime, end: datetime, zone: ZoneInfo
) -> list[tuple[tuple[datetime, int, int], Row]]:
    """Purchases and reversals where they were recorded: a purchase whose invoice is dated
    earlier paid nothing before it was recorded, so it is not listed above what it did not pay."""
    lines = session.scalars(
        select(BankTransaction).where(
            BankTransaction.client_id == client_id,
            BankTransaction.recorded_at >= start,
            BankTransaction.recorded_at < end,
            BankTransaction.reason != BankReason.USAGE,  # shown on their entry's row
        )
    )
    return [
        (
            (line.recorded_at, 0, line.id),
            Row(
                at=line.recorded_at,
                what=line.reason.value,
                bank_minutes=line.minutes,
                invoice=line.invoice,
                invoiced_on=banks.invoiced_on(line, zone),
                note=line.note,
            ),
        )
        for line in lines
    ]


def _entry_rows(
    session: Session, client_id: int, start: datetime, end: datetime
) -> list[tuple[tuple[datetime, int, int], Row]]:
    found = session.execute(
        select(TimeEntry, Ticket.number, StaffMember.name)
        .join(Ticket, Ticket.id == TimeEntry.ticket_id)
        .join(StaffMember, StaffMember.id == TimeEntry.staff_member_id)
        .where(
            TimeEntry.client_id == client_id,
            TimeEntry.created_at >= start,
            TimeEntry.created_at < end,
        )
    )
    rows = [((e.created_at, 1, e.id), _entry_row(e, number, name)) for e, number, name in found]
    return rows + _corrections(session, rows)


def _corrections(
    session: Session, rows: list[tuple[tuple[datetime, int, int], Row]]
) -> list[tuple[tuple[datetime, int, int], Row]]:
    """A corrected entry is taken back in the month of its correction: a row of the corrected
    entry's amounts, negative, so that the month's totals count the corrected entry alone (the
    bank's part is the ledger's reversal line, on its own row)."""
    correcting = {row.corrects: key[0] for key, row in rows if row.corrects is not None}
    if not correcting:
        return []
    found = session.execute(
        select(TimeEntry, Ticket.number, StaffMember.name)
        .join(Ticket, Ticket.id == TimeEntry.ticket_id)
        .join(StaffMember, StaffMember.id == TimeEntry.staff_member_id)
        .where(TimeEntry.id.in_(list(correcting)))
    )
    taken_back = []
    for old, number, name in found:
        row = _entry_row(old, number, name)
        at = correcting[old.id]
        taken_back.append(
            (
                (at, 0, 2**62),  # after the ledger's reversal line, before the new entry
                replace(
                    row,
                    at=at,
                    what="correction",
                    raw_minutes=-row.raw_minutes,
                    charged_minutes=-row.charged_minutes,
                    bank_minutes=0,
                    overage_minutes=-row.overage_minutes,
                    travel_minutes=-row.travel_minutes,
                    expenses_cents=-row.expenses_cents,
                    note=f"entry {old.id} taken back",
                    corrects=None,
                ),
            )
        )
    return taken_back


def _entry_row(entry: TimeEntry, number: int, technician: str) -> Row:
    return Row(
        at=entry.created_at,
        what="entry",
        ticket=number,
        technician=technician,
        work=f"{entry.urgency.value}/{entry.kind.value}/{entry.category.value}",
        raw_minutes=entry.minutes,
        charged_minutes=entry.billed_minutes,
        bank_minutes=-entry.bank_minutes,
        overage_minutes=entry.overage_minutes,
        travel_minutes=entry.travel_billed_minutes,
        expenses_cents=entry.expenses_billed_cents,
        note=f"corrects entry {entry.corrects_id}: {entry.correction_reason}"
        if entry.corrects_id
        else entry.note,
        corrects=entry.corrects_id,
    )


CSV_FIELDS = (
    "at",
    "what",
    "ticket",
    "technician",
    "work",
    "raw_minutes",
    "charged_minutes",
    "bank_minutes",
    "overage_minutes",
    "travel_minutes",
    "expenses_cents",
    "invoice",
    "note",
    "balance",
)
NOTE = CSV_FIELDS.index("note")


def csv_text(sheet: Statement, zone: ZoneInfo) -> str:
    """The statement as CSV, times in Montreal, minutes and cents as whole numbers."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    writer.writerows(csv_rows(sheet, zone))
    return out.getvalue()


def csv_rows(sheet: Statement, zone: ZoneInfo) -> list[list[object]]:
    """The statement's lines under CSV_FIELDS (codes in "what" and "work"; a door may word
    them), between its opening and its closing balance."""
    rows: list[list[object]] = [[sheet.month.isoformat(), "opening", *[""] * 11, sheet.opening]]
    for row in sheet.rows:
        values = [getattr(row, field) for field in CSV_FIELDS]
        values[0] = row.at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        if row.invoiced_on:  # a purchase's note is its invoice's date
            values[NOTE] = row.invoiced_on.isoformat()
        rows.append([_cell(value) for value in values])
    rows.append([sheet.last_day.isoformat(), "closing", *[""] * 11, sheet.closing])
    return rows


def _cell(value: object) -> object:
    """Free text that a spreadsheet would run as a formula is written as text."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
