"""The migrations build exactly the models' schema, and undo it, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

import models
from migrations import alembic_config
from tests import services


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('migrations') / 'empty.db'}"
        return
    with services.postgres_database() as url:
        yield url


# SQLite cannot reflect an index on an expression, and the search's GIN indexes are PostgreSQL's
# only (models.search): Alembic leaves them out of SQLite's comparison and says so. PostgreSQL's
# comparison does include them, expressions and all.
@pytest.mark.filterwarnings(
    "ignore:autogenerate skipping metadata-specified expression-based index "
    "'ix_\\w+_search'; dialect 'sqlite'"
)
def test_upgrading_an_empty_database_gives_exactly_the_models_schema(empty_url: str) -> None:
    command.upgrade(alembic_config(empty_url), "head")
    engine = create_engine(empty_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, models.Base.metadata)
    engine.dispose()
    assert differences == []


def test_downgrading_to_base_removes_every_table(empty_url: str) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = create_engine(empty_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert tables <= {"alembic_version"}


# Two whole chunks of storage (storage.files.CHUNK_BYTES) and a piece of a third.
KEPT_BEFORE = bytes(range(256)) * 2048 + b"fin"


def test_files_kept_in_email_before_0017_are_moved_into_stored_files(empty_url: str) -> None:
    config = alembic_config(empty_url)
    command.upgrade(config, "0016")
    engine = create_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO email_message (id, message_id, direction, from_address,"
                " to_addresses, subject, text, outcome, source, size, received_at) VALUES"
                " (1, '<vieux@client.example>', 'IN', 'marie@boulangerie.example', '',"
                " 'Relevé', '', 'new_ticket', 'pipe', 0, :at)"
            ),
            {"at": datetime(2026, 11, 2, 15, tzinfo=UTC)},
        )
        for position, content in ((1, KEPT_BEFORE), (2, None)):
            connection.execute(
                text(
                    "INSERT INTO email_attachment (email_id, position, filename, content_type,"
                    " size, sha256, content, set_aside) VALUES (1, :position, 'releve.pdf',"
                    " 'application/pdf', :size, :sha256, :content, :aside)"
                ),
                {
                    "position": position,
                    "size": len(KEPT_BEFORE),
                    "sha256": hashlib.sha256(KEPT_BEFORE).hexdigest(),
                    "content": content,
                    "aside": None if content else "too_big",
                },
            )
    command.upgrade(config, "0017")
    with engine.connect() as connection:
        moved, aside = (
            connection.execute(
                text("SELECT stored_file_id FROM email_attachment ORDER BY position")
            )
            .scalars()
            .all()
        )
        chunks = (
            connection.execute(
                text("SELECT data FROM stored_chunk WHERE file_id = :id ORDER BY seq"),
                {"id": moved},
            )
            .scalars()
            .all()
        )
        size, complete = connection.execute(
            text("SELECT size, complete_at FROM stored_file WHERE id = :id"), {"id": moved}
        ).one()
    engine.dispose()
    assert aside is None and complete is not None and size == len(KEPT_BEFORE)
    assert [len(chunk) for chunk in chunks] == [262144, 262144, 3]
    assert b"".join(bytes(chunk) for chunk in chunks) == KEPT_BEFORE
