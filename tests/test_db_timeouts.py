"""The database gives up within seconds when it is locked, slow, or out of reach."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from models import db
from models.db import (
    POSTGRES_CONNECT_TIMEOUT_SECONDS,
    POSTGRES_STATEMENT_TIMEOUT_MS,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    make_engine,
)
from tests import services
from tests.services import TcpProxy


@pytest.fixture
def proxy(postgresql_url: str) -> Iterator[TcpProxy]:
    url = make_url(postgresql_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    yield proxy
    proxy.cut()


@pytest.fixture
def proxied_engine(postgresql_url: str, proxy: TcpProxy) -> Iterator[Engine]:
    url = make_url(postgresql_url).set(host="127.0.0.1", port=proxy.port)
    engine = make_engine(url.render_as_string(hide_password=False))
    yield engine
    engine.dispose()


def _seconds_to_fail(engine: Engine, statement: str) -> float:
    start = time.monotonic()
    with pytest.raises(OperationalError), engine.connect() as connection:
        connection.execute(text(statement))
    return time.monotonic() - start


def test_a_locked_sqlite_file_fails_after_the_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    holder = sqlite3.connect(path)
    holder.execute("BEGIN IMMEDIATE")  # another process's writer that does not let go
    try:
        waited = _seconds_to_fail(engine, "INSERT INTO t VALUES (1)")
    finally:
        holder.close()
        engine.dispose()
    assert SQLITE_BUSY_TIMEOUT_SECONDS - 0.5 < waited < SQLITE_BUSY_TIMEOUT_SECONDS + 2


def test_a_slow_statement_is_cancelled_by_postgresql(proxied_engine: Engine) -> None:
    limit = POSTGRES_STATEMENT_TIMEOUT_MS / 1000
    waited = _seconds_to_fail(proxied_engine, f"SELECT pg_sleep({limit * 3})")
    assert limit - 0.5 < waited < limit + 2


def test_a_server_that_does_not_answer_fails_the_connection(
    proxied_engine: Engine, proxy: TcpProxy
) -> None:
    proxy.silent = True
    waited = _seconds_to_fail(proxied_engine, "SELECT 1")
    assert waited < POSTGRES_CONNECT_TIMEOUT_SECONDS + 2


def test_a_cut_network_fails_at_once_even_with_pooled_connections(
    proxied_engine: Engine, proxy: TcpProxy
) -> None:
    with proxied_engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1  # one connection in the pool
    proxy.cut()
    assert _seconds_to_fail(proxied_engine, "SELECT 1") < 1


def test_lending_a_connection_in_steady_use_sends_nothing_to_the_server(
    proxied_engine: Engine, proxy: TcpProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 60)
    with proxied_engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    sent = proxy.sent
    for _ in range(3):
        with proxied_engine.connect():
            pass
    assert proxy.sent == sent


def test_a_connection_the_server_closed_is_replaced_before_a_request_uses_it(
    postgresql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 60)  # seen on the socket, not by a ping
    # An engine of its own (another URL, the same database): its pool holds one connection.
    engine = make_engine(postgresql_url + "?application_name=closed-by-server")
    try:
        with engine.connect() as connection:
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with psycopg.connect(services.POSTGRES_ADMIN_URL, autocommit=True) as admin:  # a restart
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    finally:
        engine.dispose()


def test_a_connection_idle_for_a_while_is_pinged_so_a_dropped_flow_fails_no_request(
    proxied_engine: Engine, proxy: TcpProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0)  # any pause is "a while"
    with proxied_engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    proxy.forget_flows()
    with proxied_engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
