"""The notice of time logged on a ticket, as the client reads it: when and how the work was
done, by whom, the time worked and the time billed, and for a client with an hour bank what the
bank paid, what was billed outside it and why, and what it held after.

The figures are the entry's own, written when it was posted (``helpdesk.time_entries``), and the
balance is the ledger's right after it: a notice sent later still tells what this entry did. The
entry's note is the technicians' and is never told.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from babel.numbers import format_currency
from sqlalchemy.orm import Session

from helpdesk import banks
from helpdesk.context import Context
from models import Client, StaffMember, TimeEntry, WorkCategory
from time_words import clock, duration, full_date


def details(
    session: Session, context: Context, entry: TimeEntry, number: int, language: str
) -> str:
    """What the entry did and cost, a line each, under a sentence that names ticket ``number``."""
    texts = context.client_texts
    technician = session.get(StaffMember, entry.staff_member_id)
    lines = [
        texts.render("work_when", language, when=_span(context, entry, language)),
        _what(context, entry, language),
        texts.render("work_by", language, name=technician.name if technician else "AltiLogix"),
        texts.render("work_worked", language, minutes=duration(entry.minutes, language)),
        texts.render("work_billed", language, minutes=duration(entry.billed_minutes, language)),
        *_bank(session, context, entry, language),
        *_travel(context, entry, language),
    ]
    intro_key = "work_corrected_intro" if entry.corrects_id else "work_intro"
    intro = texts.render(intro_key, language, number=number)
    return intro + "\n\n" + "\n".join(lines)


def _span(context: Context, entry: TimeEntry, language: str) -> str:
    """The work's day and hours in Montreal: "mardi 1er décembre 2026, de 10 h 20 à 10 h 40"."""
    zone = context.hours.timezone
    start = entry.started_at.astimezone(zone)
    # In UTC: minutes added to a Montreal time would be added on the wall clock (the autumn night).
    end = (entry.started_at.astimezone(UTC) + timedelta(minutes=entry.minutes)).astimezone(zone)
    words = {
        "day": full_date(start.date(), language),
        "start": clock(start.hour * 60 + start.minute, language),
        "end": clock(end.hour * 60 + end.minute, language),
    }
    if end.date() == start.date():
        return context.client_texts.render("work_span", language, **words)
    end_day = full_date(end.date(), language)
    return context.client_texts.render("work_span_days", language, **words, end_day=end_day)


def _what(context: Context, entry: TimeEntry, language: str) -> str:
    """ "support urgent par téléphone", "formation sur place": support says its line, whose
    blocks and minimums it was charged at."""
    texts = context.client_texts
    category = (
        texts.render(f"line_{entry.urgency.value}", language)
        if entry.category == WorkCategory.SUPPORT
        else texts.render(f"work_{entry.category.value}", language)
    )
    where = texts.render(f"work_{entry.kind.value}", language)
    return texts.render("work_what", language, category=category, where=where)


def _bank(session: Session, context: Context, entry: TimeEntry, language: str) -> list[str]:
    """For a client with an hour bank: what it paid, what was billed outside it and why, and
    what it held after. Nothing for a client without one: the time billed says it all."""
    client = session.get(Client, entry.client_id)
    if client is None or not (entry.bank_minutes or banks.has_bank(session, client)):
        return []
    render = context.client_texts.render
    lines = []
    if entry.bank_minutes:
        paid = duration(entry.bank_minutes, language)
        lines.append(render("work_bank_paid", language, minutes=paid))
    if entry.overage_minutes:
        # A bank pays support only; support it did not pay in full, it could not: it ran out.
        why = "bank_empty" if entry.category == WorkCategory.SUPPORT else "not_bankable"
        outside = duration(entry.overage_minutes, language)
        lines.append(render(f"work_outside_{why}", language, minutes=outside))
    left = duration(banks.balance_after_entry(session, entry), language)
    return [*lines, render("work_balance", language, minutes=left)]


def _travel(context: Context, entry: TimeEntry, language: str) -> list[str]:
    """Travel beyond the free radius, billed on top of the work (never from a bank)."""
    render = context.client_texts.render
    lines = []
    if entry.travel_billed_minutes:
        minutes = duration(entry.travel_billed_minutes, language)
        lines.append(render("work_travel", language, minutes=minutes))
    if entry.expenses_billed_cents:
        amount = format_currency(entry.expenses_billed_cents / 100, "CAD", locale=f"{language}_CA")
        lines.append(render("work_expenses", language, amount=amount))
    return lines
