"""Engines and sessions: configured once at start-up by whoever runs (web, worker, CLI)."""

from __future__ import annotations

import os
import select
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import Pool

# Give up quickly rather than hold a webhook or a job: Twilio waits 15 s for an answer, gunicorn
# kills a request after 10 s (Procfile), and a database that has not answered within these few
# seconds will not answer in time. A failed job is retried by RQ; a failed webhook gets the
# last-resort answer (a message, spooled). Every transaction here lasts milliseconds, so these
# never cut a healthy one.
#
# SQLite: how long a writer waits for another's lock. A lock held longer is a stuck process.
SQLITE_BUSY_TIMEOUT_SECONDS = 5
# PostgreSQL: opening a connection (a server or network that is down fails here, not after the
# operating system's minutes-long TCP timeout). 2 s is libpq's shortest.
POSTGRES_CONNECT_TIMEOUT_SECONDS = 2
# PostgreSQL: the server cancels any statement that runs longer (a lock wait, a runaway query).
# Migrations lift it for their own transaction (migrations/env.py).
POSTGRES_STATEMENT_TIMEOUT_MS = 5000
# How long a request waits for a free connection of its process's pool.
POOL_TIMEOUT_SECONDS = 2

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
        connect_args: dict[str, Any] = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            options.setdefault("pool_timeout", POOL_TIMEOUT_SECONDS)
        options["connect_args"] = connect_args | options.get("connect_args", {})
        engine = create_engine(url, hide_parameters=True, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        connect_args = {
            "connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS,
            "options": f"-c statement_timeout={POSTGRES_STATEMENT_TIMEOUT_MS}",
        }
        options["connect_args"] = connect_args | options.get("connect_args", {})
        # A pooled connection is checked without a round trip (_drop_if_hung_up) rather than
        # pinged: a ping is one more round trip, on every webhook, for every step of a call.
        options.setdefault("pool_pre_ping", False)
    options.setdefault("pool_pre_ping", True)
    options.setdefault("pool_timeout", POOL_TIMEOUT_SECONDS)
    # Errors never print the statement's values: they carry phone numbers and addresses.
    engine = create_engine(url, hide_parameters=True, **options)
    if parsed.get_backend_name() == "postgresql":
        event.listen(engine, "checkout", _drop_if_hung_up)
    return engine


def _drop_if_hung_up(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Before a pooled connection is lent: a server that restarted, or ended this session, has
    closed its end, so the idle socket is readable (its last words and the end of the stream).
    Such a connection is dropped and the pool opens another, so no request fails on it; nothing
    is sent to the server to find out.

    An idle connection has nothing else to read: the app never LISTENs. A server that vanished
    without closing (its machine's power cut) is not seen here; a ping did not see it either, it
    waited like any statement."""
    if dbapi_connection.closed:
        raise exc.DisconnectionError("the connection was closed")
    poller = select.poll()  # not select.select: it fails on a descriptor past 1023
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    if poller.poll(0):
        raise exc.DisconnectionError("the server closed the connection")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the web server read while the worker writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def lock_row(session: Session, model: type[Any], *where: Any) -> None:
    """Take the row lock a ``SELECT … FOR UPDATE`` would, on SQLite too: there, a write that
    changes nothing begins the transaction and takes the database's write lock before anything
    is read, so two units of work that must not interleave (two copies of one webhook) run one
    after the other. Call it first in the unit of work."""
    if session.get_bind().dialect.name == "sqlite":
        key = model.__table__.primary_key.columns[0]
        session.execute(update(model).where(*where).values({key.name: key}))


def insert_or_skip(session: Session, model: type[Any]) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for the session's database (PostgreSQL or SQLite).

    The values go with the execution (one dict, or a list for several rows), not into the
    statement: its structure is then the same every time, and SQLAlchemy compiles it once.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(model).on_conflict_do_nothing()


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
