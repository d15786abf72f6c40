"""mail trust: incoming mail stored raw before it is read, whether its sender was authenticated
and its envelope sender, and SMS notifications found by Twilio's SID for their delivery status

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_mail")),
    )
    with op.batch_alter_table("email_message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("authentication", sa.String(length=40), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("return_path", sa.String(length=254), server_default="", nullable=False)
        )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_provider_id"), ["provider_id"])


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_provider_id"))
    with op.batch_alter_table("email_message", schema=None) as batch_op:
        batch_op.drop_column("return_path")
        batch_op.drop_column("authentication")
    op.drop_table("inbound_mail")
