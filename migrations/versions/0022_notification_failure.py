"""notification failure: why a message was not sent, in a word the pages translate (refused by
the recipient's server, our sender refused, the server unreachable...), the server's own reply
staying in last_error; old refusals lose the exception's class name ("Refused: ") they began with

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CLASS_NAME = "Refused: "


def upgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.add_column(
            sa.Column("failure", sa.String(length=40), nullable=False, server_default="")
        )
    op.execute(
        sa.text(
            "UPDATE notification SET last_error = substr(last_error, :start)"
            " WHERE state = 'refused' AND last_error LIKE :prefix"
        ).bindparams(start=len(_CLASS_NAME) + 1, prefix=_CLASS_NAME + "%")
    )


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("failure")
