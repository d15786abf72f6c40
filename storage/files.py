"""Files kept once, for every host: written and read in chunks, so a 20 MB recording never sits
whole in memory, in the database (``stored_chunk``) on PostgreSQL or SQLite, or in an S3 bucket
(FILE_STORAGE=s3, ``storage.bucket``). Each file's row says where its bytes are, so files kept
before a change of FILE_STORAGE are still read from where they were written.

Each chunk is written in a short transaction of its own: the bytes often come from the network
(Twilio's media), and no transaction stays open across a network read. The file's row counts
only once ``complete_at`` is set; a write that fails removes what it wrote.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from models import StoredChunk, StoredFile, utcnow
from storage.bucket import Bucket

CHUNK_BYTES = 256 * 1024
DATABASE = "database"
S3 = "s3"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Saved:
    file_id: int
    size: int
    sha256: str


@dataclass(frozen=True)
class Store:
    """Where this process keeps new files: the database, or ``bucket`` when there is one."""

    sessions: sessionmaker[Session]
    bucket: Bucket | None = None

    def save(self, content_type: str, pieces: Iterable[bytes]) -> Saved:
        """Keep the bytes of ``pieces`` (any sizes) as one file; raise, keeping nothing, on
        failure."""
        backend = S3 if self.bucket is not None else DATABASE
        with self.sessions.begin() as session:
            row = StoredFile(content_type=content_type, backend=backend)
            session.add(row)
            session.flush()
            file_id = row.id
            if self.bucket is not None:
                row.key = f"files/{file_id}-{uuid.uuid4().hex}"
            key = row.key
        digest = hashlib.sha256()
        size = 0

        def counted() -> Iterator[bytes]:
            nonlocal size
            for chunk in _rechunk(pieces):
                digest.update(chunk)
                size += len(chunk)
                yield chunk

        try:
            if self.bucket is not None:
                self.bucket.put(key, counted(), content_type)
            else:
                self._write_chunks(file_id, counted())
            with self.sessions.begin() as session:
                session.execute(
                    update(StoredFile)
                    .where(StoredFile.id == file_id)
                    .values(size=size, sha256=digest.hexdigest(), complete_at=utcnow())
                )
        except BaseException:
            self._forget(file_id)
            raise
        return Saved(file_id, size, digest.hexdigest())

    def _write_chunks(self, file_id: int, chunks: Iterable[bytes]) -> None:
        for seq, chunk in enumerate(chunks):
            with self.sessions.begin() as session:
                session.add(StoredChunk(file_id=file_id, seq=seq, data=chunk))

    def read(self, file_id: int, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``start`` to ``end`` (exclusive), a chunk at a time."""
        backend, key = self._where(file_id)
        if backend == S3:
            if self.bucket is None:
                raise LookupError(f"stored file {file_id} is in a bucket; FILE_STORAGE is not s3")
            return self.bucket.read(key, start, end)
        return self._read_chunks(file_id, start, end)

    def _read_chunks(self, file_id: int, start: int, end: int) -> Iterator[bytes]:
        """Each chunk read in a short transaction of its own (a slow listener holds no
        connection)."""
        seq = start // CHUNK_BYTES
        while start < end:
            with self.sessions() as session:
                data = session.scalar(
                    select(StoredChunk.data).where(
                        StoredChunk.file_id == file_id, StoredChunk.seq == seq
                    )
                )
            if data is None:
                raise LookupError(f"stored file {file_id}: chunk {seq} is missing")
            offset = start - seq * CHUNK_BYTES
            piece = bytes(data[offset : offset + end - start])
            yield piece
            start += len(piece)
            seq += 1

    def remove(self, file_id: int) -> None:
        """Delete the file: its object in the bucket, or its chunks a few at a time (one huge
        delete would hold its locks long), then its row."""
        backend, key = self._where(file_id)
        if backend == S3 and self.bucket is not None and key:
            self.bucket.delete(key)
        while True:
            with self.sessions.begin() as session:
                seqs = session.scalars(
                    select(StoredChunk.seq).where(StoredChunk.file_id == file_id).limit(50)
                ).all()
                if not seqs:
                    session.execute(delete(StoredFile).where(StoredFile.id == file_id))
                    return
                session.execute(
                    delete(StoredChunk).where(
                        StoredChunk.file_id == file_id, StoredChunk.seq.in_(seqs)
                    )
                )

    def _forget(self, file_id: int) -> None:
        """After a failed write: remove what was written; the write's own error is the one to
        tell (a bucket that refused the write may refuse the delete too), so this one is only
        logged, and the row, never completed, is never read."""
        try:
            self.remove(file_id)
        except Exception as error:
            log.warning("stored file %s not removed after a failed write: %s", file_id, error)

    def _where(self, file_id: int) -> tuple[str, str]:
        with self.sessions() as session:
            row = session.get(StoredFile, file_id)
            return (row.backend, row.key) if row is not None else (DATABASE, "")


def _rechunk(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """The bytes again, in chunks of CHUNK_BYTES (the last one shorter)."""
    buffer = bytearray()
    for piece in pieces:
        buffer += piece
        while len(buffer) >= CHUNK_BYTES:
            yield bytes(buffer[:CHUNK_BYTES])
            del buffer[:CHUNK_BYTES]
    if buffer:
        yield bytes(buffer)


def complete(session: Session, file_id: int | None) -> StoredFile | None:
    """The file, if it was written whole."""
    row = session.get(StoredFile, file_id) if file_id is not None else None
    return row if row is not None and row.complete_at is not None else None
