"""The hour-bank tests' world: the demo directory's clients and staff, tickets, purchases."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import banks, tickets
from helpdesk.context import Context
from helpdesk.tickets import Requester
from helpdesk.time_entries import EntryForm
from models import (
    BankTransaction,
    Channel,
    Client,
    Contact,
    Language,
    Line,
    StaffMember,
    Ticket,
)

LOW = 120  # the default alert threshold, in minutes
MONTREAL = ZoneInfo("America/Toronto")

BOULANGERIE = "1001"  # hour bank, 12.5 km from downtown
QUINCAILLERIE = "1002"  # no hour bank, 31 km
DENTAL = "1003"  # hour bank, 6 km


def client(db: Session, account: str) -> Client:
    return db.scalars(select(Client).where(Client.account == account)).one()


def staff(db: Session, name: str) -> StaffMember:
    return db.scalars(select(StaffMember).where(StaffMember.name == name)).one()


def luc(db: Session) -> int:
    return staff(db, "Luc Gagnon").id


def helene(db: Session) -> int:
    return staff(db, "Hélène Bergeron").id


def open_ticket(
    db: Session, context: Context, account: str = BOULANGERIE, line: Line = Line.REGULAR
) -> Ticket:
    who = client(db, account)
    contact = db.scalars(select(Contact).where(Contact.client_id == who.id)).first()
    requester = Requester(who.id, contact.id if contact else None, "", Language.FR)
    opened = tickets.open_ticket(
        db, context.hours, requester, priority=line, channel=Channel.EMAIL, subject="Sage 50"
    )
    db.commit()
    return opened.ticket


def buy(db: Session, account: str, hours: int, invoice: str = "F-2026-0101") -> BankTransaction:
    purchase = banks.Purchase(client(db, account).id, hours, invoice, date(2026, 12, 1))
    row = banks.record_purchase(db, purchase, helene(db), low_minutes=LOW, zone=MONTREAL)
    db.commit()
    return row


def form(ticket: Ticket, technician_id: int, **fields: Any) -> EntryForm:
    base = EntryForm(ticket_id=ticket.id, technician_id=technician_id, kind="phone", minutes=30)
    return replace(base, **fields)


def ledger(db: Session, account: str) -> list[tuple[str, int]]:
    db.expire_all()
    rows = db.scalars(
        select(BankTransaction)
        .where(BankTransaction.client_id == client(db, account).id)
        .order_by(BankTransaction.id)
    )
    return [(row.reason.value, row.minutes) for row in rows]
