"""Files kept in an S3-compatible bucket (FILE_STORAGE=s3): Amazon S3, MinIO, Ceph… through
boto3. Written from a spooled temporary file (boto3 sends it in parts; memory holds one chunk,
the disk the rest), read by byte range, streamed."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from settings import Settings

CHUNK_BYTES = 256 * 1024
TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Bucket:
    client: Any  # boto3's S3 client (its type is generated at run time)
    name: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Bucket:
        client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url or None,
            region_name=settings.s3_region or None,
            aws_access_key_id=settings.s3_access_key_id or None,
            aws_secret_access_key=settings.s3_secret_access_key or None,
            config=Config(connect_timeout=TIMEOUT_SECONDS, read_timeout=TIMEOUT_SECONDS),
        )
        return cls(client, settings.s3_bucket)

    def put(self, key: str, chunks: Iterable[bytes], content_type: str) -> None:
        with tempfile.SpooledTemporaryFile(max_size=CHUNK_BYTES) as spooled:
            for chunk in chunks:
                spooled.write(chunk)
            spooled.seek(0)
            extra = {"ContentType": content_type}
            self.client.upload_fileobj(spooled, self.name, key, ExtraArgs=extra)

    def read(self, key: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``start`` to ``end`` (exclusive)."""
        if start >= end:
            return
        answer = self.client.get_object(Bucket=self.name, Key=key, Range=f"bytes={start}-{end - 1}")
        yield from answer["Body"].iter_chunks(CHUNK_BYTES)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=key)
