"""hour banks: time entries charged and paid, a ledger with purchases and reversals

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28

time_entry was written by nothing before this revision, so its new NOT NULL columns need no
default; bank_transaction's invoice gets an empty one for any line written by hand before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purchase_id", sa.Integer(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("staff_member_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["bank_transaction.id"],
            name=op.f("fk_bank_payment_purchase_id_bank_transaction"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_member_id"],
            ["staff_member.id"],
            name=op.f("fk_bank_payment_staff_member_id_staff_member"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_payment")),
        sa.UniqueConstraint("purchase_id", name=op.f("uq_bank_payment_purchase_id")),
    )
    with op.batch_alter_table("bank_transaction", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reverses_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("staff_member_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("invoice", sa.String(length=40), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("price_per_hour_cents", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("due_on", sa.Date(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_bank_transaction_reverses_id"), ["reverses_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_bank_transaction_staff_member_id_staff_member"),
            "staff_member",
            ["staff_member_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_bank_transaction_reverses_id_bank_transaction"),
            "bank_transaction",
            ["reverses_id"],
            ["id"],
        )

    with op.batch_alter_table("time_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_id", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("posted_by_id", sa.Integer(), nullable=False))
        batch_op.add_column(
            sa.Column(
                "urgency",
                sa.Enum("regular", "urgent", name="line", native_enum=False, length=20),
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("urgency_reason", sa.Text(), nullable=False))
        batch_op.add_column(sa.Column("bank_minutes", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("overage_minutes", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("travel_minutes", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("travel_billed_minutes", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("expenses_cents", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("expenses_billed_cents", sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column("corrects_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("correction_reason", sa.Text(), nullable=False))
        batch_op.create_index(batch_op.f("ix_time_entry_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_time_entry_corrects_id"), ["corrects_id"], unique=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_time_entry_corrects_id_time_entry"),
            "time_entry",
            ["corrects_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_time_entry_posted_by_id_staff_member"),
            "staff_member",
            ["posted_by_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_time_entry_client_id_client"), "client", ["client_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("time_entry", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_time_entry_client_id_client"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_time_entry_posted_by_id_staff_member"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_time_entry_corrects_id_time_entry"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_time_entry_corrects_id"))
        batch_op.drop_index(batch_op.f("ix_time_entry_client_id"))
        batch_op.drop_column("correction_reason")
        batch_op.drop_column("corrects_id")
        batch_op.drop_column("expenses_billed_cents")
        batch_op.drop_column("expenses_cents")
        batch_op.drop_column("travel_billed_minutes")
        batch_op.drop_column("travel_minutes")
        batch_op.drop_column("overage_minutes")
        batch_op.drop_column("bank_minutes")
        batch_op.drop_column("urgency_reason")
        batch_op.drop_column("urgency")
        batch_op.drop_column("posted_by_id")
        batch_op.drop_column("client_id")

    with op.batch_alter_table("bank_transaction", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_bank_transaction_reverses_id_bank_transaction"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_bank_transaction_staff_member_id_staff_member"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_bank_transaction_reverses_id"), type_="unique")
        batch_op.drop_column("due_on")
        batch_op.drop_column("price_per_hour_cents")
        batch_op.drop_column("invoice")
        batch_op.drop_column("staff_member_id")
        batch_op.drop_column("reverses_id")

    op.drop_table("bank_payment")
