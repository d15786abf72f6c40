"""call hour counts: inbound calls counted per settled UTC hour and outcome, for the dashboard

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_hour",
        sa.Column("hour", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hour", name=op.f("pk_call_hour")),
    )
    op.create_table(
        "call_hour_count",
        sa.Column("hour", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hour"],
            ["call_hour.hour"],
            name=op.f("fk_call_hour_count_hour_call_hour"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("hour", "outcome", name=op.f("pk_call_hour_count")),
    )


def downgrade() -> None:
    op.drop_table("call_hour_count")
    op.drop_table("call_hour")
