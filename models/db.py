"""Engines and sessions: configured once at start-up by whoever runs (web, worker, CLI)."""

from __future__ import annotations

import select
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from models import integrity, search, tallies
from models.base import CLOCK, Clock, utcnow

# Give up quickly rather than hold a webhook or a job: Twilio waits 15 s for an answer, gunicorn
# kills a request after 10 s (gunicorn.conf.py), and a database that has not answered within
# these few seconds will not answer in time. A failed job is retried by RQ; a failed webhook
# gets the last-resort answer (a message, spooled). Every transaction here lasts milliseconds,
# so these never cut a healthy one.
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
# A pooled PostgreSQL connection idle longer than this is pinged before it is lent; one used
# more recently (a busy line's) is only checked on its socket (see _check_on_lending).
PING_AFTER_IDLE_SECONDS = 1.0
POSTGRES_KEEPALIVES = {"keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}
RETURNED_AT = "returned_at"


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for ``url``, with its pool: its owner (a context) keeps it, and disposes of it.
    A SQLite file gets its folder, foreign keys and a busy timeout."""
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
    postgres = parsed.get_backend_name() == "postgresql"
    if postgres:
        connect_args = {
            "connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS,
            "options": f"-c statement_timeout={POSTGRES_STATEMENT_TIMEOUT_MS}",
            # Idle connections keep their flow alive through NATs and firewalls, and a server
            # that is gone is found within a minute, not the system's two hours.
            **POSTGRES_KEEPALIVES,
        }
        options["connect_args"] = connect_args | options.get("connect_args", {})
    # PostgreSQL's are checked by _check_on_lending: no round trip for one in steady use.
    options.setdefault("pool_pre_ping", not postgres)
    options.setdefault("pool_timeout", POOL_TIMEOUT_SECONDS)
    # Errors never print the statement's values: they carry phone numbers and addresses.
    engine = create_engine(url, hide_parameters=True, **options)
    if postgres:
        event.listen(engine, "checkin", _note_return)
        event.listen(engine, "checkout", _check_on_lending(engine))
    return engine


def _note_return(_dbapi_connection: Any, record: Any) -> None:
    record.info[RETURNED_AT] = time.monotonic()


def _check_on_lending(engine: Engine) -> Callable[[Any, Any, Any], None]:
    """Before the pool lends a PostgreSQL connection, make sure it still works.

    A connection the server closed (a restart, a session ended or timed out) shows it on its
    idle socket, readable with the server's last words and the end of the stream. That costs
    no round trip, and a connection in steady use (every webhook of a busy line) is lent on
    that alone. One idle for over ``PING_AFTER_IDLE_SECONDS`` (a quiet line's, in no hurry) is
    pinged as well, as pool_pre_ping does: a NAT or a firewall that dropped its flow, or an
    address moved to another host, shows nothing on the socket until the next packet. A failed
    check drops the connection and the pool opens another, so no request fails on it. (An idle
    connection has nothing else to read: the app never LISTENs.)
    """

    def check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if dbapi_connection.closed or _readable(dbapi_connection.fileno()):
            raise exc.DisconnectionError("the server closed the connection")
        returned_at = record.info.get(RETURNED_AT)
        if returned_at is not None and time.monotonic() - returned_at > PING_AFTER_IDLE_SECONDS:
            try:
                engine.dialect.do_ping(dbapi_connection)
            except engine.dialect.loaded_dbapi.Error as error:
                raise exc.DisconnectionError("the connection does not answer") from error

    return check


def _readable(descriptor: int) -> bool:
    poller = select.poll()  # not select.select: it fails on a descriptor past 1023
    poller.register(descriptor, select.POLLIN)
    return bool(poller.poll(0))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the web server read while the worker writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
    # The ticket search's accent folding (PostgreSQL has its own, in SQL: models/search.py).
    dbapi_connection.create_function("search_fold", 1, search.fold, deterministic=True)


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


def make_session_factory(engine: Engine, clock: Clock = utcnow) -> sessionmaker[Session]:
    """Sessions on ``engine`` whose units of work tell time by ``clock``: ``models.now`` and
    every column default read it (the engine's copy carries it to each statement; it shares the
    engine's pool)."""
    # The host's clock is every default already: the engine itself, events and all.
    bind = engine if clock is utcnow else engine.execution_options(**{CLOCK: clock})
    factory = sessionmaker(bind, expire_on_commit=False, info={CLOCK: clock})
    integrity.attach(factory)
    tallies.attach(factory)
    return factory
