"""ticket numbers in the INSERT: on PostgreSQL the sequence becomes the column's default, so a
new ticket is numbered by its own INSERT (read back with RETURNING) rather than by a statement
of its own; SQLite keeps its counter table

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE ticket ALTER COLUMN number SET DEFAULT nextval('ticket_number_seq')"
        )
        op.execute("ALTER SEQUENCE ticket_number_seq OWNED BY ticket.number")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER SEQUENCE ticket_number_seq OWNED BY NONE")
        op.execute("ALTER TABLE ticket ALTER COLUMN number DROP DEFAULT")
