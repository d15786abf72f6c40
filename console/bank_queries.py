"""Read-only queries of the supervisors' hour-bank pages; balances come from the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import banks
from models import BankPayment, BankReason, BankTransaction, Client, Ticket, TimeEntry

ENTRIES_SHOWN = 200


@dataclass(frozen=True)
class BankRow:
    client: Client
    balance: int
    overdue: int  # purchases unpaid past their due date
    has_bank: bool


@dataclass(frozen=True)
class LedgerLine:
    line: BankTransaction
    balance: int  # after this line
    overdue: bool  # a purchase unpaid past its due date
    paid_on: date | None = None
    invoiced_on: date | None = None  # a purchase's invoice date


@dataclass(frozen=True)
class ClientBank:
    client: Client
    balance: int
    lines: list[LedgerLine]  # newest first
    purchases: list[LedgerLine]
    entries: list[tuple[TimeEntry, int]]  # (entry, ticket number), newest first
    corrected: set[int]


def overview(session: Session, today: date) -> list[BankRow]:
    """Every client, by account: its balance, whether it has a bank, its overdue purchases."""
    held = banks.balances(session)
    late: dict[int, int] = {}
    for client_id in session.scalars(
        select(BankTransaction.client_id)
        .outerjoin(BankPayment, BankPayment.purchase_id == BankTransaction.id)
        .where(
            BankTransaction.reason == BankReason.PURCHASE,
            BankTransaction.due_on < today,
            BankPayment.id.is_(None),
        )
    ):
        late[client_id] = late.get(client_id, 0) + 1
    clients = session.scalars(select(Client).order_by(Client.account))
    return [
        BankRow(c, held.get(c.id, 0), late.get(c.id, 0), c.hour_bank or c.id in held)
        for c in clients
    ]


def _overdue(row: BankTransaction, paid_on: date | None, today: date) -> bool:
    due = row.due_on
    return row.reason == BankReason.PURCHASE and paid_on is None and due is not None and due < today


def find_client(session: Session, account: str) -> Client | None:
    return session.scalars(select(Client).where(Client.account == account)).one_or_none()


def client_bank(session: Session, client: Client, today: date, zone: ZoneInfo) -> ClientBank:
    """A client's ledger with the running balance, its purchases and its recent entries."""
    rows = session.execute(
        select(BankTransaction, BankPayment.paid_on)
        .outerjoin(BankPayment, BankPayment.purchase_id == BankTransaction.id)
        .where(BankTransaction.client_id == client.id)
        .order_by(BankTransaction.recorded_at, BankTransaction.id)  # as the balance moved
    )
    running, lines = 0, []
    for row, paid_on in rows:
        running += row.minutes
        late = _overdue(row, paid_on, today)
        lines.append(LedgerLine(row, running, late, paid_on, banks.invoiced_on(row, zone)))
    entries = session.execute(
        select(TimeEntry, Ticket.number)
        .join(Ticket, Ticket.id == TimeEntry.ticket_id)
        .where(TimeEntry.client_id == client.id)
        .order_by(TimeEntry.id.desc())
        .limit(ENTRIES_SHOWN)
    ).all()
    corrected = {e.corrects_id for e, _ in entries if e.corrects_id}
    return ClientBank(
        client,
        running,
        lines[::-1],
        [ln for ln in lines if ln.line.reason == BankReason.PURCHASE][::-1],
        [(e, n) for e, n in entries],
        corrected,
    )
