"""console sessions the server knows (staff_session), and sign-in counters per (account,
address) and per address that slow guessing without locking anyone out (sign_in_limit, which
replaces the attempt rows of sign_in_attempt)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_member_id", sa.Integer(), nullable=False),
        sa.Column("started_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_member_id"],
            ["staff_member.id"],
            name=op.f("fk_staff_session_staff_member_id_staff_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_session")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_staff_session_key_hash")),
    )
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_session_staff_member_id"), ["staff_member_id"], unique=False
        )
    op.create_table(
        "sign_in_limit",
        sa.Column("key", sa.String(length=330), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_limit")),
    )
    with op.batch_alter_table("sign_in_limit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_limit_last_at"), ["last_at"], unique=False)
    with op.batch_alter_table("sign_in_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_sign_in_attempt_email_at")
        batch_op.drop_index(batch_op.f("ix_sign_in_attempt_at"))
        batch_op.drop_index("ix_sign_in_attempt_address_at")
    op.drop_table("sign_in_attempt")


def downgrade() -> None:
    op.create_table(
        "sign_in_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_attempt")),
    )
    with op.batch_alter_table("sign_in_attempt", schema=None) as batch_op:
        batch_op.create_index("ix_sign_in_attempt_address_at", ["address", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sign_in_attempt_at"), ["at"], unique=False)
        batch_op.create_index("ix_sign_in_attempt_email_at", ["email", "at"], unique=False)
    with op.batch_alter_table("sign_in_limit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_limit_last_at"))
    op.drop_table("sign_in_limit")
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_session_staff_member_id"))
    op.drop_table("staff_session")
