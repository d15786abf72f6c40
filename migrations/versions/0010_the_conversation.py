"""the conversation: files that came with an email (kept, or set aside with the reason), where
answers to an email go, and answers held as a possible mail loop (why, and who sent one anyway)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("set_aside", sa.String(length=40), nullable=True),
        sa.Column("content_id", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["email_id"],
            ["email_message.id"],
            name=op.f("fk_email_attachment_email_id_email_message"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_attachment")),
    )
    with op.batch_alter_table("email_attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_email_attachment_email_id"), ["email_id"], unique=False
        )
    with op.batch_alter_table("email_message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("answer_to", sa.String(length=254), nullable=False, server_default="")
        )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "hold_reason",
                sa.Enum(models.HoldReason, native_enum=False, length=20, values_callable=_values),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("released_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("released_at", models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_released_by_id_staff_member"),
            "staff_member",
            ["released_by_id"],
            ["id"],
        )
    # Answers the replaced hourly cap withheld were never sent: they are held now, and a
    # supervisor may still send them. The address an emailed request answers to was its From.
    op.execute("UPDATE notification SET state = 'held' WHERE state = 'withheld'")
    op.execute("UPDATE email_message SET answer_to = from_address WHERE direction = 'in'")


def downgrade() -> None:
    op.execute("UPDATE notification SET state = 'withheld' WHERE state = 'held'")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_notification_released_by_id_staff_member"), type_="foreignkey"
        )
        batch_op.drop_column("released_at")
        batch_op.drop_column("released_by_id")
        batch_op.drop_column("hold_reason")
    with op.batch_alter_table("email_message", schema=None) as batch_op:
        batch_op.drop_column("answer_to")
    with op.batch_alter_table("email_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_attachment_email_id"))
    op.drop_table("email_attachment")


def _values(enum_class: type[models.HoldReason]) -> list[str]:
    return [member.value for member in enum_class]
