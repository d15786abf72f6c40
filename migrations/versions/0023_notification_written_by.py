"""notification written_by_id: the staff member whose own words an email carries (a public
note), so that it is sent as a person's mail and not marked automatic (RFC 3834)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("written_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_notification_written_by_id_staff_member"),
            "staff_member",
            ["written_by_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.drop_constraint(
            batch.f("fk_notification_written_by_id_staff_member"), type_="foreignkey"
        )
        batch.drop_column("written_by_id")
