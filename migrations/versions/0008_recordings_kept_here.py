"""recordings kept here: where the worker stored its copy of each message, and Twilio's deletion;
an index of the technicians rung, for the call log's technician filter

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recording", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stored_path", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("stored_bytes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("stored_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("stored_at", models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("deleted_at_twilio", models.base.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("call_ring", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_call_ring_staff_member_id"), ["staff_member_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("call_ring", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_ring_staff_member_id"))
    with op.batch_alter_table("recording", schema=None) as batch_op:
        for column in ("deleted_at_twilio", "stored_at", "stored_sha256", "stored_bytes"):
            batch_op.drop_column(column)
        batch_op.drop_column("stored_path")
