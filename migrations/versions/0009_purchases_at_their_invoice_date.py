"""purchases at their invoice date: a ledger line keeps when it was recorded apart from when it
counts (a purchase counts from its invoice's date)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bank_transaction", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recorded_at", models.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE bank_transaction SET recorded_at = at")
    with op.batch_alter_table("bank_transaction", schema=None) as batch_op:
        batch_op.alter_column(
            "recorded_at", existing_type=models.base.UTCDateTime(timezone=True), nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("bank_transaction", schema=None) as batch_op:
        batch_op.drop_column("recorded_at")
