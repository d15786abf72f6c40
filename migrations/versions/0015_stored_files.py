"""stored files: recordings (and any file the product keeps) in the database, in chunks, seen
from every host; when retention deleted a recording's copy

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("backend", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("complete_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_file")),
    )
    op.create_table(
        "stored_chunk",
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["stored_file.id"],
            name=op.f("fk_stored_chunk_file_id_stored_file"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("file_id", "seq", name=op.f("pk_stored_chunk")),
    )
    with op.batch_alter_table("recording", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stored_file_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("purged_at", models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_recording_stored_file_id"), ["stored_file_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_recording_stored_file_id_stored_file"),
            "stored_file",
            ["stored_file_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("recording", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_recording_stored_file_id_stored_file"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_recording_stored_file_id"))
        batch_op.drop_column("purged_at")
        batch_op.drop_column("stored_file_id")
    op.drop_table("stored_chunk")
    op.drop_table("stored_file")
