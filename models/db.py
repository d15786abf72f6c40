"""Engines and sessions: configured once at start-up by whoever runs (web, worker, CLI)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import Pool

# One engine per database per process, as SQLAlchemy advises: the web app, the worker's jobs and
# the command line of one process share its pool.
_engines: dict[str, Engine] = {}


def make_engine(url: str, **options: Any) -> Engine:
    """The process's engine for ``url``; a SQLite file gets its folder, foreign keys and a
    busy timeout."""
    if url not in _engines:
        _engines[url] = _create(url, **options)
    return _engines[url]


def _create(url: str, **options: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        options.setdefault("connect_args", {"timeout": 15})
        engine = create_engine(url, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    options.setdefault("pool_pre_ping", True)
    return create_engine(url, **options)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the web server read while the worker writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def insert_or_skip(session: Session, model: type[Any], **values: Any) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for the session's database (PostgreSQL or SQLite)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(model).values(**values).on_conflict_do_nothing()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


# The pools a forked child inherited from its parent: kept for the child's life and never used.
# Dropping them would let the garbage collector close the parent's connections in the child, and
# closing a SQLite connection runs SQLite's own close (locks, WAL checkpoint) on the parent's file.
_inherited_pools: list[Pool] = []


def _forget_pools_in_child() -> None:
    # A forked process (gunicorn worker, RQ work horse) must not share its parent's connections.
    for engine in _engines.values():
        _inherited_pools.append(engine.pool)
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_pools_in_child)
