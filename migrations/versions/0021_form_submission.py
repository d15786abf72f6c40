"""form submission: the keys of the console forms acted on, so that a copy of one submission (a
double click, a browser sending the form again) adds no second note, time entry or callback

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "form_submission",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("staff_member_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_member_id"],
            ["staff_member.id"],
            name=op.f("fk_form_submission_staff_member_id_staff_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_form_submission")),
    )
    op.create_index(
        op.f("ix_form_submission_staff_member_id"),
        "form_submission",
        ["staff_member_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_form_submission_staff_member_id"), table_name="form_submission")
    op.drop_table("form_submission")
