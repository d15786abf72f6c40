"""replayed entries: the ids of the spooled webhooks already written back, so that each is
written once, whichever copy of a spool folder is replayed and however often

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "replayed_entry",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("step", sa.String(length=30), nullable=False),
        sa.Column("replayed_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replayed_entry")),
    )
    op.create_index(
        op.f("ix_replayed_entry_replayed_at"), "replayed_entry", ["replayed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_replayed_entry_replayed_at"), table_name="replayed_entry")
    op.drop_table("replayed_entry")
