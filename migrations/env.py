"""Alembic's environment: the models' metadata, against the database the command was given."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import models
from models.db import make_engine

config = context.config
target_metadata = models.Base.metadata


def run_migrations() -> None:
    url = config.attributes.get("database_url")
    if url is None:
        import settings

        url = settings.load().database_url
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # A migration may rewrite a big table: not under the application's statement timeout.
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        context.run_migrations()


run_migrations()
