"""Files kept once for every host: a caller's message (and any file the product keeps) as a row
of ``stored_file`` and its bytes in ``stored_chunk`` rows, or in an S3 bucket under ``key``.

A file is written chunk by chunk and only counts once ``complete_at`` is set: a copy cut short
never passes for one (``storage.files``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, default_now


class StoredFile(Base):
    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_type: Mapped[str] = mapped_column(String(100))
    backend: Mapped[str] = mapped_column(String(20))  # "database" or "s3"
    key: Mapped[str] = mapped_column(String(200), default="")  # the object's, in the bucket
    size: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=default_now)
    complete_at: Mapped[datetime | None]


class StoredChunk(Base):
    """One piece of a file kept in the database, in order (``seq`` from 0), each but the last
    ``storage.files.CHUNK_BYTES`` long: a byte range is read from the chunks that hold it."""

    __tablename__ = "stored_chunk"

    file_id: Mapped[int] = mapped_column(
        ForeignKey("stored_file.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)
