"""email in and out, quarantine, and client mail among the notifications

Every email received or sent is an ``email_message`` row, once per Message-ID; bytes that could
not be read as mail are kept in ``quarantine``. A notification may now go to a client's contact,
from the line's support address, under a Message-ID made in advance.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("received_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
        sa.UniqueConstraint("sha256", name=op.f("uq_quarantine_sha256")),
    )
    op.create_table(
        "email_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column(
            "direction",
            sa.Enum("in", "out", name="maildirection", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("from_address", sa.String(length=254), nullable=False),
        sa.Column("to_addresses", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("automatic", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("received_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_email_message_ticket_id_ticket")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_message")),
        sa.UniqueConstraint("message_id", name=op.f("uq_email_message_message_id")),
    )
    with op.batch_alter_table("email_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_message_ticket_id"), ["ticket_id"], unique=False)

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("sender", sa.String(length=254), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("message_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("in_reply_to", sa.String(length=255), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_notification_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(
            "ix_notification_recipient_created_at", ["recipient", "created_at"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_contact_id_contact"), "contact", ["contact_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_notification_contact_id_contact"), type_="foreignkey"
        )
        batch_op.drop_index("ix_notification_recipient_created_at")
        batch_op.drop_index(batch_op.f("ix_notification_contact_id"))
        batch_op.drop_column("in_reply_to")
        batch_op.drop_column("message_id")
        batch_op.drop_column("sender")
        batch_op.drop_column("contact_id")

    with op.batch_alter_table("email_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_message_ticket_id"))

    op.drop_table("email_message")
    op.drop_table("quarantine")
