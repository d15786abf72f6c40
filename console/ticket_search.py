"""The ticket list: who sees which tickets, its filters, its text search, and its keyset pages.

Every ticket, resolved and closed ones too, newest first by (created_at, id); the next page
starts strictly after the last row shown, so a ticket opened while somebody pages never shifts
or repeats a row. A page is one query whatever the filters and the search: the search is a
subquery over the searchable texts (``models.search``), each read through its own index (and on
PostgreSQL, a statement before it asks for a plan made for its words), and over the small
directory tables (client and contact names, contacts' emails and numbers). A search that looks
like a phone number also reads the tickets' requester numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    Select,
    String,
    and_,
    false,
    func,
    literal,
    or_,
    select,
    text,
    union,
)
from sqlalchemy.orm import Session, aliased

import phones
from console import calllog, queries
from console.access import Viewer
from console.calllog import Filter, Filters
from models import (
    Channel,
    Client,
    Contact,
    ContactPhone,
    EmailMessage,
    Line,
    StaffMember,
    Ticket,
    TicketEvent,
    TicketStatus,
    search,
)
from routing.config import BusinessHours
from routing.standing import Deadline, Standing, flag
from web import inputs

PAGE_SIZE = 50
SEARCH_CHARS = 200  # a longer search is cut: nobody types more, and PostgreSQL parses it all
NUMBER_DIGITS = 9  # a search of up to this many digits also finds the ticket of that number
PHONE_DIGITS = 7  # a search of at least this many digits (555-0101) also finds phone numbers
# What people type for a phone number: 514 555-0101, (514) 555-0101, +1 514.555.0101
_PHONE_LIKE = re.compile(r"\+?[\d\s().-]+")


LARGEST_ID = 2**31 - 1  # an integer column's


def _day(raw: str) -> date:
    """A day of the period, within years a moment can be stored in (a refusal, not a 500)."""
    day = date.fromisoformat(raw)
    if not 1900 <= day.year <= 9000:
        raise ValueError(f"{raw} is out of range")
    return day


def _identifier(raw: str) -> int:
    ident = inputs.integer(raw)
    if not 0 < ident <= LARGEST_ID:
        raise ValueError(f"{raw} is not an identifier")
    return ident


NOBODY = "none"  # the technician filter's choice of the tickets nobody has taken


def _assignee(raw: str) -> int | None:
    """A staff member's id, or None for "nobody" (the tickets still to be taken)."""
    return None if raw == NOBODY else _identifier(raw)


def _assigned_to(staff_id: int | None) -> ColumnElement[bool]:
    return Ticket.assignee_id.is_(None) if staff_id is None else Ticket.assignee_id == staff_id


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _of_client(account: str) -> ColumnElement[bool]:
    return Ticket.client_id.in_(select(Client.id).where(Client.account == account))


FILTERS: tuple[Filter, ...] = (
    Filter("status", TicketStatus, lambda status, _zone: Ticket.status == status),
    Filter("line", Line, lambda line, _zone: Ticket.priority == line),
    Filter("channel", Channel, lambda channel, _zone: Ticket.channel == channel),
    Filter("client", lambda raw: raw.strip()[:20], lambda account, _zone: _of_client(account)),
    Filter("contact", _identifier, lambda contact_id, _zone: Ticket.contact_id == contact_id),
    Filter("technician", _assignee, lambda staff_id, _zone: _assigned_to(staff_id)),
    Filter("from", _day, lambda day, zone: Ticket.created_at >= _midnight(day, zone)),
    Filter(
        "to", _day, lambda day, zone: Ticket.created_at < _midnight(day + timedelta(days=1), zone)
    ),
)


@dataclass(frozen=True)
class Criteria:
    """What the list is asked for: its filters and the words searched ("" for none)."""

    filters: Filters
    words: str

    @property
    def raw(self) -> dict[str, str]:
        """The list's query string: the form shows it again, the next page carries it."""
        return {**self.filters.raw, **({"q": self.words} if self.words else {})}


def read_criteria(args: Mapping[str, str]) -> Criteria:
    words = " ".join((args.get("q") or "").split())[:SEARCH_CHARS]
    return Criteria(calllog.read_filters(args, FILTERS), words)


Match = Callable[[ColumnElement[Any], str], ColumnElement[bool]]


# PostgreSQL folds accents with translate() (no extension): each accented letter becomes the
# plain one search.fold gives it, so that both databases compare names alike.
_ACCENTED = "àáâãäåçèéêëìíîïñòóôõöøùúûüýÿ"
_ACCENTED += _ACCENTED.upper()
_PLAIN = "".join(search.fold(letter) or "" for letter in _ACCENTED)


def _folded(text: ColumnExpressionArgument[Any], dialect: str) -> ColumnElement[str]:
    """The text in lower case without accents, as ``search.fold`` makes the words."""
    if dialect != "postgresql":
        return func.search_fold(text, type_=String)
    folded = func.translate(text, _ACCENTED, _PLAIN)
    for letter in "œŒæÆ":
        folded = func.replace(folded, letter, search.fold(letter))
    return func.lower(folded, type_=String)


def _holds(folded: ColumnElement[str], words: str) -> ColumnElement[bool]:
    """Every word, folded, is in the folded text."""
    wanted = (search.fold(words) or "").replace('"', " ").split()
    if not wanted:
        return false()
    return and_(*(folded.contains(word, autoescape=True) for word in wanted))


def _substrings(text: ColumnElement[Any], words: str) -> ColumnElement[bool]:
    """SQLite: every word is in the text, whatever the case and the accents."""
    return _holds(_folded(text, "sqlite"), words)


def phone_digits(words: str) -> str | None:
    """The digits a phone-number search looks for in the stored E.164 numbers ("(514) 555-0101"
    → "15145550101", "555-0101" → "5550101"); None when the search is not a number (words, or
    too few digits to be one), so that words never match numbers."""
    digits = "".join(c for c in words if c.isdigit())
    if not _PHONE_LIKE.fullmatch(words) or len(digits) < PHONE_DIGITS:
        return None
    try:  # a full number as E.164 has it, however it was dialled ("011 33 1 …" is +331…)
        return phones.to_e164(words, field="q")[1:]
    except phones.InvalidPhoneNumber:  # a partial number: its digits, anywhere in a number
        return digits


@dataclass(frozen=True)
class Named:
    """The clients and contacts a search names: by name, email or a number on file."""

    clients: tuple[int, ...] = ()
    contacts: tuple[int, ...] = ()


def named(session: Session, words: str) -> Named:
    """Look the search up in the small directory tables first (one statement), as substrings on
    both databases: the page's query then carries their ids, which PostgreSQL plans for, rather
    than a subquery it must guess the size of (and, guessing large, reads every ticket)."""
    dialect = session.get_bind().dialect.name
    clients = select(literal("client"), Client.id).where(
        _holds(_folded(Client.name, dialect), words)
    )
    contacts = select(literal("contact"), Contact.id).where(
        or_(
            _holds(_folded(Contact.name, dialect), words),
            _holds(func.lower(Contact.email, type_=String), words),
        )
    )
    sources = [clients, contacts]
    if digits := phone_digits(words):
        held = f"+%{digits}%"  # digits only: nothing to escape
        on_file = ContactPhone.number.like(held)
        sources.append(select(literal("contact"), ContactPhone.contact_id).where(on_file))
    rows = session.execute(union(*sources)).all()
    return Named(
        clients=tuple(sorted(ident for kind, ident in rows if kind == "client")),
        contacts=tuple(sorted(ident for kind, ident in rows if kind == "contact")),
    )


def found(dialect: str, words: str, names: Named = Named()) -> ColumnElement[bool]:
    """Tickets whose subject, client's emails or notes hold the words (on PostgreSQL, full-text:
    stemmed in French and English, accents folded), or of the clients and contacts the words
    name (``named``); a number finds its ticket too, and a phone number its callers' tickets."""
    match: Match = search.matches if dialect == "postgresql" else _substrings
    note_text = search.NOTE_TEXT if dialect == "postgresql" else search.NOTE_TEXT_SQLITE
    sources: list[Select[Any]] = [
        select(Ticket.id).where(match(search.TICKET_TEXT, words)),
        select(EmailMessage.ticket_id).where(search.CLIENT_EMAIL, match(search.EMAIL_TEXT, words)),
        select(TicketEvent.ticket_id).where(search.NOTE, match(note_text, words)),
    ]
    if names.clients:
        sources.append(select(Ticket.id).where(Ticket.client_id.in_(names.clients)))
    if names.contacts:
        sources.append(select(Ticket.id).where(Ticket.contact_id.in_(names.contacts)))
    if words.isascii() and words.isdigit() and len(words) <= NUMBER_DIGITS:
        sources.append(select(Ticket.id).where(Ticket.number == int(words)))
    if digits := phone_digits(words):
        # The caller's number has no index: only a search that looks like a number reads it
        # ("+" keeps email requesters out).
        sources.append(select(Ticket.id).where(Ticket.requester.like(f"+%{digits}%")))
    # Not correlated with the list's own ticket: each source is read whole, through its index.
    return Ticket.id.in_(union(*(source.correlate(None) for source in sources)))


@dataclass(frozen=True)
class ListedTicket:
    ticket: Ticket
    client: str | None
    contact: str | None
    assignee: str | None
    deadline: Deadline

    @property
    def flag(self) -> Standing | None:
        """What the deadline column flags: at risk, late, reached late (routing.standing)."""
        return flag(self.deadline)


def _plan_for_these_words(session: Session) -> None:
    """Plan the search for its own words, in this transaction. psycopg prepares a statement
    run five times on a connection, and PostgreSQL may then keep one generic plan for every
    search: not knowing the words, it joins every ticket (18 ms at 133,000 tickets) where a
    ticket's own words need one index lookup (under 1 ms)."""
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def cursor_of(ticket: Ticket) -> str:
    return f"{ticket.created_at.astimezone(UTC).isoformat()}_{ticket.id}"


def read_cursor(raw: str) -> tuple[datetime, int] | None:
    """The keyset of a "next page" link; None (the first page) for one that is not ours."""
    cursor = calllog.read_cursor(raw)
    if cursor is None or not 0 < cursor[1] <= LARGEST_ID or not 1900 <= cursor[0].year <= 9000:
        return None
    return cursor


def page(
    session: Session,
    criteria: Criteria,
    hours: BusinessHours,
    viewer: Viewer,
    now: datetime,
    after: tuple[datetime, int] | None = None,
    size: int = PAGE_SIZE,
) -> tuple[list[ListedTicket], str | None]:
    """One page of the tickets this viewer may open, filtered and searched, newest first, and
    the cursor of the next page (None on the last)."""
    assignee = aliased(StaffMember)
    statement = (
        select(Ticket, Client.name, Contact.name, assignee.name)
        .outerjoin(Client, Client.id == Ticket.client_id)
        .outerjoin(Contact, Contact.id == Ticket.contact_id)
        .outerjoin(assignee, assignee.id == Ticket.assignee_id)
        .where(queries.openable_by(viewer, now), *criteria.filters.where(hours.timezone))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(size + 1)
    )
    if criteria.words:
        dialect = session.get_bind().dialect.name
        names = named(session, criteria.words)
        statement = statement.where(found(dialect, criteria.words, names))
        if dialect == "postgresql":
            _plan_for_these_words(session)
    if after is not None:
        moment, ident = after
        # (created_at, id) < (moment, ident), with a bound the created_at index can use
        statement = statement.where(
            Ticket.created_at <= moment, or_(Ticket.created_at < moment, Ticket.id < ident)
        )
    found_rows = session.execute(statement).all()
    more = len(found_rows) > size
    rows = _with_deadlines(session, hours, now, found_rows[:size])
    return rows, (cursor_of(rows[-1].ticket) if more and rows else None)


def _with_deadlines(
    session: Session, hours: BusinessHours, now: datetime, found: Sequence[Any]
) -> list[ListedTicket]:
    """The page's tickets, each with where it stands, by the same clocks as the SLA board."""
    dues = [row[0].sla_due_at for row in found if row[0].sla_due_at is not None]
    clock = queries.clocks(session, hours, now, min(dues, default=now))
    return [
        ListedTicket(ticket, client, contact, who, queries.deadline_of(clock, ticket))
        for ticket, client, contact, who in found
    ]


def contacts(session: Session) -> Sequence[tuple[int, str, str]]:
    """Every contact, as (id, name, client account), by client: the contact filter's choices."""
    rows = session.execute(
        select(Contact.id, Contact.name, Client.account)
        .join(Client, Client.id == Contact.client_id)
        .order_by(Client.account, Contact.name)
    )
    return [(ident, name, account) for ident, name, account in rows]
