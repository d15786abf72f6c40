"""Hour banks: a client's prepaid minutes, kept as an append-only ledger.

The balance is always the sum of the ledger, never a stored number. Every act that reads the
balance to write the ledger first locks the client's row (SELECT ... FOR UPDATE on PostgreSQL;
SQLite has one writer at a time anyway), so two technicians posting on the last minutes of a bank
take turns and the balance stays exact. There is no refund and no transfer between clients: the
policy says a bank is neither refundable nor transferable, and no function here does either.
Functions take the caller's session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billing import InvalidEntry
from billing.rates import price
from helpdesk import tasks
from models import BankPayment, BankReason, BankTransaction, Client, TimeEntry, current_time

INVOICE_MAX_CHARS = 40


@dataclass(frozen=True)
class Purchase:
    """What a supervisor records when a client buys hours."""

    client_id: int
    hours: int
    invoice: str
    bought_on: date


def locked_client(session: Session, client_id: int) -> Client:
    """The client's row, locked until the transaction ends; InvalidEntry if there is none."""
    client = session.scalars(
        select(Client).where(Client.id == client_id).with_for_update()
    ).one_or_none()
    if client is None:
        raise InvalidEntry("no_such_client", "client: no client with id %(id)s", id=client_id)
    return client


def balance(session: Session, client_id: int, *, until: datetime | None = None) -> int:
    """Minutes left in the client's bank: the sum of its ledger (the lines recorded before
    ``until``: what the bank held then, which is what the entries of that moment were charged
    against)."""
    query = select(func.coalesce(func.sum(BankTransaction.minutes), 0)).where(
        BankTransaction.client_id == client_id
    )
    if until is not None:
        query = query.where(BankTransaction.recorded_at < until)
    return int(session.scalar(query) or 0)


def balance_after(session: Session, line: BankTransaction) -> int:
    """What the client's bank held right after this line. Lines are appended in turn under the
    client's lock, so their ids are the order in which they moved the balance."""
    query = select(func.coalesce(func.sum(BankTransaction.minutes), 0)).where(
        BankTransaction.client_id == line.client_id, BankTransaction.id <= line.id
    )
    return int(session.scalar(query) or 0)


def balance_after_entry(session: Session, entry: TimeEntry) -> int:
    """What the client's bank held right after this entry was posted: after the line that paid
    for it, or, when the bank paid nothing, after the lines recorded by then (entries posted
    since have taken more, which is not this entry's doing)."""
    paid_by = session.scalar(
        select(BankTransaction)
        .where(
            BankTransaction.time_entry_id == entry.id,
            BankTransaction.reason == BankReason.USAGE,
        )
        .order_by(BankTransaction.id)
        .limit(1)
    )
    if paid_by is not None:
        return balance_after(session, paid_by)
    query = select(func.coalesce(func.sum(BankTransaction.minutes), 0)).where(
        BankTransaction.client_id == entry.client_id,
        BankTransaction.recorded_at <= entry.created_at,
    )
    return int(session.scalar(query) or 0)


def invoiced_on(line: BankTransaction, zone: ZoneInfo) -> date | None:
    """A purchase's invoice date (its line's ``at`` is that day's start, in Montreal)."""
    return line.at.astimezone(zone).date() if line.reason == BankReason.PURCHASE else None


def has_bank(session: Session, client: Client) -> bool:
    """The directory says so, or the client bought hours (whatever the directory file says
    later: the ledger is the truth of a purchase)."""
    if client.hour_bank:
        return True
    bought = select(BankTransaction.id).where(
        BankTransaction.client_id == client.id, BankTransaction.reason == BankReason.PURCHASE
    )
    return session.scalar(bought.limit(1)) is not None


def balances(session: Session) -> dict[int, int]:
    """Every client's balance, by client id (clients with no ledger line are absent)."""
    rows = session.execute(
        select(BankTransaction.client_id, func.sum(BankTransaction.minutes)).group_by(
            BankTransaction.client_id
        )
    )
    return {client_id: int(total) for client_id, total in rows}


def record_purchase(
    session: Session,
    purchase: Purchase,
    staff_member_id: int,
    *,
    low_minutes: int,
    zone: ZoneInfo,
) -> BankTransaction:
    """Add bought hours to the client's bank at the price list's rate, due net 30 days from the
    invoice's date (in Montreal), which may be earlier than today, never later. The hours are in
    the bank from now on: time posted before paid nothing from them, so statements list the
    purchase when it is recorded, with its invoice's date."""
    invoice = purchase.invoice.strip()
    if not invoice:
        raise InvalidEntry("invoice_required", "invoice: the invoice reference is required")
    if len(invoice) > INVOICE_MAX_CHARS:
        raise InvalidEntry(
            "invoice_too_long", "invoice: at most %(n)d characters", n=INVOICE_MAX_CHARS
        )
    if purchase.bought_on > current_time(session).astimezone(zone).date():
        raise InvalidEntry(
            "bought_in_future", "bought_on: %(day)s is in the future", day=purchase.bought_on
        )
    cost = price(purchase.hours, purchase.bought_on)
    client = locked_client(session, purchase.client_id)  # also: one of two twin forms waits
    if _invoiced(session, client.id, invoice):
        raise InvalidEntry(
            "invoice_taken",
            "invoice: %(invoice)s is already recorded for this client",
            invoice=invoice,
        )
    row = BankTransaction(
        client_id=client.id,
        minutes=purchase.hours * 60,
        reason=BankReason.PURCHASE,
        staff_member_id=staff_member_id,
        invoice=invoice,
        price_per_hour_cents=cost.cents_per_hour,
        due_on=cost.due_on,
        note=f"{purchase.hours} h",
        at=datetime.combine(purchase.bought_on, time(), zone),
    )
    return _append(session, row, low_minutes)


def _invoiced(session: Session, client_id: int, invoice: str) -> bool:
    """A purchase with this invoice is already on the client's ledger (a form sent twice)."""
    found = session.scalar(
        select(BankTransaction.id).where(
            BankTransaction.client_id == client_id,
            BankTransaction.reason == BankReason.PURCHASE,
            BankTransaction.invoice == invoice,
        )
    )
    return found is not None


def record_payment(
    session: Session, purchase_id: int, paid_on: date, staff_member_id: int
) -> BankPayment:
    """Note that a purchase's invoice is paid; once only."""
    purchase = session.get(BankTransaction, purchase_id)
    if purchase is None or purchase.reason != BankReason.PURCHASE:
        raise InvalidEntry("no_such_purchase", "purchase: no purchase %(id)s", id=purchase_id)
    paid = session.scalar(select(BankPayment).where(BankPayment.purchase_id == purchase_id))
    if paid is not None:
        raise InvalidEntry(
            "already_paid",
            "purchase: invoice %(invoice)s was already paid on %(day)s",
            invoice=purchase.invoice,
            day=paid.paid_on,
        )
    if paid_on > current_time(session).date() + timedelta(days=1):  # a day of slack for time zones
        raise InvalidEntry("paid_in_future", "paid_on: %(day)s is in the future", day=paid_on)
    row = BankPayment(purchase_id=purchase_id, paid_on=paid_on, staff_member_id=staff_member_id)
    session.add(row)
    session.flush()
    return row


def debit(
    session: Session, entry: TimeEntry, minutes: int, *, low_minutes: int
) -> BankTransaction | None:
    """The bank's part of a time entry; the caller holds the client's lock."""
    if minutes <= 0:
        return None
    row = BankTransaction(
        client_id=entry.client_id,
        minutes=-minutes,
        reason=BankReason.USAGE,
        time_entry_id=entry.id,
        staff_member_id=entry.posted_by_id,
        at=entry.created_at,  # the same moment: a statement puts both in the same month
    )
    return _append(session, row, low_minutes)


def reverse_debits(session: Session, entry: TimeEntry, staff_member_id: int, why: str) -> int:
    """Give back what the bank paid for ``entry``, line by line; return the minutes given back."""
    debits = session.scalars(
        select(BankTransaction).where(
            BankTransaction.time_entry_id == entry.id,
            BankTransaction.reason == BankReason.USAGE,
        )
    ).all()
    for line in debits:
        session.add(
            BankTransaction(
                client_id=line.client_id,
                minutes=-line.minutes,
                reason=BankReason.REVERSAL,
                time_entry_id=entry.id,
                reverses_id=line.id,
                staff_member_id=staff_member_id,
                note=why,
            )
        )
    session.flush()
    return -sum(line.minutes for line in debits)


def _append(session: Session, row: BankTransaction, low_minutes: int) -> BankTransaction:
    """Write one ledger line; when it takes the balance below the threshold or uses it up,
    alert (once: the line names the alert, which says "used up" when it is)."""
    before = balance(session, row.client_id)
    row.at = row.at or current_time(session)
    session.add(row)
    session.flush()
    if _crosses(before, before + row.minutes, low_minutes):
        tasks.bank_low(session, row.client_id, row.id)
    return row


def _crosses(before: int, after: int, low_minutes: int) -> bool:
    """A line that moves the balance from ``before`` to ``after`` is told to the client: it
    falls below the threshold, or it uses the bank up, even a bank bought below the threshold
    (1 h bought, 1 h used: nobody was told it ran low)."""
    return before >= low_minutes > after or before > 0 >= after
