"""state that drives calls: who was rung and what they answered, recordings, callback requests,
the account number a caller gave, outbound calls, and the database's own identity

Recordings move from the call row to their own table (one per message); the installation row
gets a random id that RQ queue names and job ids carry.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation")),
        sa.UniqueConstraint("key", name=op.f("uq_installation_key")),
    )
    op.create_table(
        "call_ring",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("staff_member_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("rung_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "answer",
            sa.Enum("accepted", "refused", name="whisperanswer", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column("answered_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("leg_sid", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name=op.f("fk_call_ring_call_id_call"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["staff_member_id"],
            ["staff_member.id"],
            name=op.f("fk_call_ring_staff_member_id_staff_member"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_ring")),
        sa.UniqueConstraint("call_id", "staff_member_id", name=op.f("uq_call_ring_call_id")),
    )
    with op.batch_alter_table("call_ring", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_ring_call_id"), ["call_id"], unique=False)

    op.create_table(
        "callback_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("staff_member_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "requested",
                "placed",
                "logged",
                "dialing",
                "reached",
                "not_reached",
                "failed",
                name="callbackstate",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("requested_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("placed_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name=op.f("fk_callback_request_call_id_call")
        ),
        sa.ForeignKeyConstraint(
            ["staff_member_id"],
            ["staff_member.id"],
            name=op.f("fk_callback_request_staff_member_id_staff_member"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_callback_request_ticket_id_ticket")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_request")),
        sa.UniqueConstraint("request_id", name=op.f("uq_callback_request_request_id")),
    )
    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callback_request_call_id"), ["call_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_callback_request_ticket_id"), ["ticket_id"], unique=False
        )

    op.create_table(
        "recording",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name=op.f("fk_recording_call_id_call"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_recording_ticket_id_ticket")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording")),
        sa.UniqueConstraint("url", name=op.f("uq_recording_url")),
    )
    with op.batch_alter_table("recording", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recording_call_id"), ["call_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_recording_ticket_id"), ["ticket_id"], unique=False)

    op.execute(
        "INSERT INTO recording (call_id, ticket_id, url, sid, seconds, created_at) "
        "SELECT id, ticket_id, recording_url, '', COALESCE(recording_seconds, 0), started_at "
        "FROM call WHERE recording_url IS NOT NULL"
    )
    installation = sa.table(
        "installation",
        sa.column("id", sa.Integer()),
        sa.column("key", sa.String()),
        sa.column("created_at", models.base.UTCDateTime(timezone=True)),
    )
    op.bulk_insert(
        installation, [{"id": 1, "key": uuid.uuid4().hex, "created_at": models.utcnow()}]
    )
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "direction",
                sa.Enum("inbound", "outbound", name="calldirection", native_enum=False, length=20),
                server_default="inbound",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("staff_member_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("account_given", sa.String(length=20), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_call_staff_member_id"), ["staff_member_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_call_staff_member_id_staff_member"),
            "staff_member",
            ["staff_member_id"],
            ["id"],
        )
        batch_op.drop_column("recording_url")
        batch_op.drop_column("recording_seconds")


def downgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recording_seconds", sa.INTEGER(), nullable=True))
        batch_op.add_column(sa.Column("recording_url", sa.VARCHAR(length=500), nullable=True))
    op.execute(
        "UPDATE call SET recording_url = (SELECT MIN(url) FROM recording "
        "WHERE recording.call_id = call.id)"
    )
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_call_staff_member_id_staff_member"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_call_staff_member_id"))
        batch_op.drop_column("account_given")
        batch_op.drop_column("staff_member_id")
        batch_op.drop_column("direction")

    with op.batch_alter_table("recording", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recording_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_recording_call_id"))

    op.drop_table("recording")
    with op.batch_alter_table("callback_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callback_request_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_callback_request_call_id"))

    op.drop_table("callback_request")
    with op.batch_alter_table("call_ring", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_ring_call_id"))

    op.drop_table("call_ring")
    op.drop_table("installation")
