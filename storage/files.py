"""Files kept once, for every host: written and read in chunks, so a 20 MB recording never sits
whole in memory, in the database (``stored_chunk``) on PostgreSQL or SQLite.

Each chunk is written in a short transaction of its own: the bytes often come from the network
(Twilio's media), and no transaction stays open across a network read. The file's row counts
only once ``complete_at`` is set; a write that fails removes what it wrote.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from models import StoredChunk, StoredFile, utcnow

CHUNK_BYTES = 256 * 1024
DATABASE = "database"


@dataclass(frozen=True)
class Saved:
    file_id: int
    size: int
    sha256: str


def save(sessions: sessionmaker[Session], content_type: str, pieces: Iterable[bytes]) -> Saved:
    """Keep the bytes of ``pieces`` (any sizes) as one file; raise, keeping nothing, on failure."""
    with sessions.begin() as session:
        row = StoredFile(content_type=content_type, backend=DATABASE)
        session.add(row)
        session.flush()
        file_id = row.id
    digest, size, seq = hashlib.sha256(), 0, 0
    try:
        for chunk in _rechunk(pieces):
            digest.update(chunk)
            size += len(chunk)
            with sessions.begin() as session:
                session.add(StoredChunk(file_id=file_id, seq=seq, data=chunk))
            seq += 1
        with sessions.begin() as session:
            session.execute(
                update(StoredFile)
                .where(StoredFile.id == file_id)
                .values(size=size, sha256=digest.hexdigest(), complete_at=utcnow())
            )
    except BaseException:
        remove(sessions, file_id)
        raise
    return Saved(file_id, size, digest.hexdigest())


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


def read(sessions: sessionmaker[Session], file_id: int, start: int, end: int) -> Iterator[bytes]:
    """Bytes ``start`` to ``end`` (exclusive), one chunk at a time, each read in a short
    transaction of its own (a slow listener holds no connection)."""
    seq = start // CHUNK_BYTES
    while start < end:
        with sessions() as session:
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


def remove(sessions: sessionmaker[Session], file_id: int) -> None:
    """Delete the file and its chunks (chunk by chunk: one huge delete would hold locks long)."""
    while True:
        with sessions.begin() as session:
            seqs = session.scalars(
                select(StoredChunk.seq).where(StoredChunk.file_id == file_id).limit(50)
            ).all()
            if not seqs:
                session.execute(delete(StoredFile).where(StoredFile.id == file_id))
                return
            session.execute(
                delete(StoredChunk).where(StoredChunk.file_id == file_id, StoredChunk.seq.in_(seqs))
            )
