"""What the ticket search reads, and how words are compared: one definition for the indexes and
the queries, so that they cannot drift apart.

A ticket is found by its subject, by the text and subject of the client's emails on it, and by
its notes. On PostgreSQL each of these texts is a full-text document, ``search_document(text)``,
matched against ``search_query(words)``: both fold accents and case and stem the words in
French and in English (migration 0011 creates the functions, without any extension; a document
holds the first 100,000 characters of its text). Each document has its GIN expression index, so
a search reads the index, never the table. On
SQLite, a word is a case- and accent-insensitive substring of the same texts (``fold`` below,
registered on every SQLite connection by ``models.db``).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Index, and_, func, literal_column

from models.mail import EmailMessage
from models.tickets import Ticket, TicketEvent

# Constants are written into the SQL, never bound: a prepared statement's generic plan can then
# still match the index expressions and prove the partial indexes' conditions.
_IN: ColumnElement[str] = literal_column("'in'")
_NOTE: ColumnElement[str] = literal_column("'note'")
_SPACE: ColumnElement[str] = literal_column("' '")

TICKET_TEXT: ColumnElement[Any] = Ticket.subject.expression
EMAIL_TEXT: ColumnElement[Any] = EmailMessage.subject.op("||")(_SPACE).op("||")(EmailMessage.text)
# The note's text, inside the event's JSON data, as PostgreSQL reads it, and as SQLite does.
NOTE_TEXT: ColumnElement[Any] = TicketEvent.data.op("->>")(literal_column("'text'"))
NOTE_TEXT_SQLITE: ColumnElement[Any] = func.json_extract(TicketEvent.data, "$.text")

# Which rows count: the client's emails on a ticket (not ours to them), and notes.
CLIENT_EMAIL: ColumnElement[bool] = and_(
    EmailMessage.direction == _IN, EmailMessage.ticket_id.is_not(None)
)
NOTE: ColumnElement[bool] = TicketEvent.kind == _NOTE


def document(text: ColumnElement[Any]) -> ColumnElement[Any]:
    """A text as PostgreSQL's search sees it: folded, stemmed in French and English."""
    return func.search_document(text)


def matches(text: ColumnElement[Any], words: str) -> ColumnElement[bool]:
    """PostgreSQL: the text's document matches the words (web-search syntax: "a phrase",
    or, -word)."""
    return document(text).op("@@", return_type=Boolean)(func.search_query(words))


def fold(text: str | None) -> str | None:
    """Lower case without accents ("Écran" → "ecran"), as SQLite compares words."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.casefold().replace("œ", "oe").replace("æ", "ae").replace("ø", "o")


# One GIN index per text, PostgreSQL's only (migration 0011, which says why fastupdate is off).
_GIN: dict[str, Any] = {"postgresql_using": "gin", "postgresql_with": {"fastupdate": "off"}}
INDEXES = (
    Index("ix_ticket_search", document(TICKET_TEXT), **_GIN),
    Index("ix_email_message_search", document(EMAIL_TEXT), postgresql_where=CLIENT_EMAIL, **_GIN),
    Index("ix_ticket_event_search", document(NOTE_TEXT), postgresql_where=NOTE, **_GIN),
)
for _index in INDEXES:
    _index.ddl_if(dialect="postgresql")
