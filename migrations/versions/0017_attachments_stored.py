"""attachments stored: the files kept from email move from email_attachment.content into the
storage every host reaches (stored_file and its chunks), in batches; the blob column goes

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import models

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# storage.files.CHUNK_BYTES when this was written: the chunks of a file must be this long.
CHUNK_BYTES = 256 * 1024
BATCH = 50

attachment = sa.table(
    "email_attachment",
    sa.column("id", sa.Integer),
    sa.column("content_type", sa.String),
    sa.column("sha256", sa.String),
    sa.column("content", sa.LargeBinary),
    sa.column("stored_file_id", sa.Integer),
)
stored_file = sa.table(
    "stored_file",
    sa.column("id", sa.Integer),
    sa.column("content_type", sa.String),
    sa.column("backend", sa.String),
    sa.column("key", sa.String),
    sa.column("size", sa.Integer),
    sa.column("sha256", sa.String),
    sa.column("created_at", models.base.UTCDateTime(timezone=True)),
    sa.column("complete_at", models.base.UTCDateTime(timezone=True)),
)
stored_chunk = sa.table(
    "stored_chunk",
    sa.column("file_id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("data", sa.LargeBinary),
)


def upgrade() -> None:
    with op.batch_alter_table("email_attachment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stored_file_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_email_attachment_stored_file_id"), ["stored_file_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_email_attachment_stored_file_id_stored_file"),
            "stored_file",
            ["stored_file_id"],
            ["id"],
            ondelete="SET NULL",
        )
    _move_contents(op.get_bind())
    with op.batch_alter_table("email_attachment", schema=None) as batch_op:
        batch_op.drop_column("content")


def _move_contents(connection: sa.Connection) -> None:
    """Each kept file into stored_file and its chunks, a batch of rows at a time, each blob
    read a chunk at a time (substr works on SQLite's blobs and PostgreSQL's bytea)."""
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(
                attachment.c.id,
                attachment.c.content_type,
                attachment.c.sha256,
                sa.func.length(attachment.c.content),
            )
            .where(attachment.c.content.is_not(None), attachment.c.id > last_id)
            .order_by(attachment.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for attachment_id, content_type, sha256, size in rows:
            _move_one(connection, attachment_id, content_type, sha256, size)
        last_id = rows[-1][0]


def _move_one(
    connection: sa.Connection, attachment_id: int, content_type: str, sha256: str, size: int
) -> None:
    now = datetime.now(UTC)
    file_id = connection.scalar(
        sa.insert(stored_file)
        .returning(stored_file.c.id)
        .values(
            content_type=content_type[:100],
            backend="database",
            key="",
            size=size,
            sha256=sha256,
            created_at=now,
            complete_at=now,
        )
    )
    for seq, start in enumerate(range(0, size, CHUNK_BYTES)):
        data = connection.scalar(
            sa.select(sa.func.substr(attachment.c.content, start + 1, CHUNK_BYTES)).where(
                attachment.c.id == attachment_id
            )
        )
        connection.execute(sa.insert(stored_chunk).values(file_id=file_id, seq=seq, data=data))
    connection.execute(
        sa.update(attachment)
        .where(attachment.c.id == attachment_id)
        .values(stored_file_id=file_id, content=None)
    )


def downgrade() -> None:
    with op.batch_alter_table("email_attachment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content", sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(attachment.c.id, attachment.c.stored_file_id).where(
            attachment.c.stored_file_id.is_not(None)
        )
    ).all()
    for attachment_id, file_id in rows:  # files kept in a bucket are not brought back
        chunks = connection.scalars(
            sa.select(stored_chunk.c.data)
            .where(stored_chunk.c.file_id == file_id)
            .order_by(stored_chunk.c.seq)
        ).all()
        if chunks:
            content = b"".join(bytes(chunk) for chunk in chunks)
            connection.execute(
                sa.update(attachment)
                .where(attachment.c.id == attachment_id)
                .values(content=content)
            )
    with op.batch_alter_table("email_attachment", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_email_attachment_stored_file_id_stored_file"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_email_attachment_stored_file_id"))
        batch_op.drop_column("stored_file_id")
