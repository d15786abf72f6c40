"""ticket search: on PostgreSQL, the functions that fold accents and stem French and English
(search_document, search_query) and a GIN index per searchable text (ticket subjects, the
client's emails, notes); nothing on SQLite, which matches substrings

No extension is needed (no unaccent): accents are folded with translate(), so the role that runs
the migrations needs only the right to create functions and indexes in its schema.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Accented Latin letters and their plain forms, one for one (œ and æ become two letters below).
ACCENTED = "ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿŸ"
PLAIN = "AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOOooooooUUUUuuuuYyyY"
# The characters of a text a document holds: any message a person writes, and far below the
# tsvector's limit (1 MB), which would refuse the row.
DOCUMENT_CHARS = 100_000


def _folded(argument: str) -> str:
    """SQL for ``argument`` in lower case without accents. Only built-in functions: the body is
    inlined into the index expressions, and must mean the same under any search_path."""
    translated = f"translate({argument}, '{ACCENTED}', '{PLAIN}')"
    for letter, plain in (("œ", "oe"), ("Œ", "oe"), ("æ", "ae"), ("Æ", "ae")):
        translated = f"replace({translated}, '{letter}', '{plain}')"
    return f"lower({translated})"


def _document(text: str) -> str:
    """SQL for the tsvector of ``text``: French words stemmed then folded ("réparée" and
    "réparé" give "repar") and folded then stemmed (what "reparee", typed without accents,
    gives), English words folded then stemmed."""
    folded = _folded(text)
    stemmed = f"to_tsvector('french'::regconfig, {text})::text"
    return (
        f"to_tsvector('french'::regconfig, {folded})"
        f" || {_folded(stemmed)}::tsvector"
        f" || to_tsvector('english'::regconfig, {folded})"
    )


def _query(words: str) -> str:
    """SQL for the tsquery of ``words`` (web-search syntax), made the same three ways, any of
    which may match."""
    folded = _folded(words)
    stemmed = f"websearch_to_tsquery('french'::regconfig, {words})::text"
    return (
        f"websearch_to_tsquery('french'::regconfig, {folded})"
        f" || {_folded(stemmed)}::tsquery"
        f" || websearch_to_tsquery('english'::regconfig, {folded})"
    )


# IMMUTABLE (translate, lower, to_tsvector with a named configuration, the text forms of
# tsvector and tsquery are), so that they can be indexed; plain SQL expressions, so that
# PostgreSQL inlines them and matches the indexes.
FUNCTIONS = (
    f"""
    CREATE FUNCTION search_document(text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT {_document(f"left($1, {DOCUMENT_CHARS})")}
    $$
    """,
    f"""
    CREATE FUNCTION search_query(text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT {_query("$1")}
    $$
    """,
)

# fastupdate off: each new row goes into the index at once. With it on, new rows wait in a
# pending list that every search reads through until the next vacuum (a bulk load made a search
# for a single reference read the whole index); mail and notes come in far too slowly for the
# pending list's faster writes to matter.
INDEXES = (
    "CREATE INDEX ix_ticket_search ON ticket USING gin (search_document(subject)) "
    "WITH (fastupdate = off)",
    "CREATE INDEX ix_email_message_search ON email_message "
    "USING gin (search_document(subject || ' ' || text)) WITH (fastupdate = off) "
    "WHERE direction = 'in' AND ticket_id IS NOT NULL",
    "CREATE INDEX ix_ticket_event_search ON ticket_event "
    "USING gin (search_document(data ->> 'text')) WITH (fastupdate = off) WHERE kind = 'note'",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in (*FUNCTIONS, *INDEXES):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for index in ("ix_ticket_event_search", "ix_email_message_search", "ix_ticket_search"):
        op.execute(f"DROP INDEX {index}")
    op.execute("DROP FUNCTION search_query(text)")
    op.execute("DROP FUNCTION search_document(text)")
