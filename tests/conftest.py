"""The shared test world: a database on each backend, Redis, the app, and the demo directory."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from redis import Redis
from sqlalchemy import Engine, delete, event, text
from sqlalchemy.orm import Session, sessionmaker

import models
import settings
from app import create_app
from helpdesk import context as helpdesk_context
from helpdesk.context import Context
from migrations import alembic_config
from models.db import make_engine, make_session_factory
from tests import services

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIRECTORY = ROOT / "examples" / "directory.toml"
# Where the tests' workers keep the recordings they copy (never the project's instance/).
RECORDINGS = Path(tempfile.gettempdir()) / f"altilogix-test-recordings-{os.getpid()}"


@pytest.fixture(scope="session", autouse=True)
def _recordings_folder() -> Iterator[None]:
    yield
    shutil.rmtree(RECORDINGS, ignore_errors=True)


@pytest.fixture(autouse=True)
def _engines_closed_after_each_test() -> Iterator[None]:
    """Each app, context and worker a test makes has an engine of its own: its pool is closed
    when the test ends, so the tests never pile up the database's connections."""
    made: list[Engine] = []

    def keep(connection: Any) -> None:
        if connection.engine not in made:
            made.append(connection.engine)

    event.listen(Engine, "engine_connect", keep)
    try:
        yield
    finally:
        event.remove(Engine, "engine_connect", keep)
        for engine in made:
            engine.dispose()


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    with services.postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def migrated_url(request: pytest.FixtureRequest) -> str:
    """A database upgraded by the migrations, once per backend and test run."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    command.upgrade(alembic_config(url), "head")
    return url


@pytest.fixture
def engine(migrated_url: str) -> Iterator[Engine]:
    """The backend's engine, with every table emptied after the test."""
    engine = make_engine(migrated_url)
    yield engine
    with engine.begin() as connection:
        for table in reversed(models.Base.metadata.sorted_tables):
            connection.execute(delete(table))
        if engine.dialect.name == "postgresql":
            connection.execute(text("ALTER SEQUENCE ticket_number_seq RESTART WITH 1001"))


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def db(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


@pytest.fixture
def redis() -> Iterator[Redis]:
    client = services.redis_client()
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def back_office_alive(redis: Redis, sessions: sessionmaker[Session]) -> None:
    """A worker's relay of this database that has just beaten, as /healthz wants to see."""
    from queueing import heartbeat, outbox

    with sessions.begin() as session:
        installation = outbox.installation_key(session)
    heartbeat.beat(redis, installation, "worker-1", models.utcnow())


def app_config(database_url: str, **extra: Any) -> dict[str, Any]:
    spool = (
        Path(tempfile.gettempdir()) / f"altilogix-test-spool-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    )
    return {
        "SPOOL_DIR": str(spool),
        "TESTING": True,
        "DATABASE_URL": database_url,
        "REDIS_URL": services.REDIS_TEST_URL,
        "SECRET_KEY": "test-secret",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "test-auth-token",
        "PUBLIC_BASE_URL": "https://support.altilogix.example",
        # What production requires, as a test that turns TESTING off needs them.
        "MAIN_NUMBERS": "+15149826161",
        "MAIL_FROM": "support@altilogix.example",
        "SUPPORT_EMAIL_REGULAR": "support-regulier@altilogix.example",
        "SUPPORT_EMAIL_URGENT": "support-urgent@altilogix.example",
        "RECORDINGS_DIR": str(RECORDINGS),
        # The suite signs in hundreds of times from 127.0.0.1; tests/test_rate_limits.py turns
        # the limits on, each test with its Redis database emptied.
        "RATE_LIMITS": False,
        **extra,
    }


@pytest.fixture
def context(engine: Engine, sessions: sessionmaker[Session]) -> Context:
    """The helpdesk context of a worker on the test database."""
    url = engine.url.render_as_string(hide_password=False)
    return helpdesk_context.build(settings.load({}, app_config(url)), sessions)


@pytest.fixture
def serving(context: Context, monkeypatch: pytest.MonkeyPatch) -> Context:
    """RQ's jobs run in this test's process against the test's context (a worker's own
    context is built from its settings, see helpdesk.jobs.process_context)."""
    from helpdesk import jobs

    monkeypatch.setattr(jobs, "process_context", lambda: context)
    return context


@pytest.fixture
def app(engine: Engine) -> Flask:
    return create_app(app_config(engine.url.render_as_string(hide_password=False)))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def cli(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def engine_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def phone_app(engine: Engine, db: Session) -> Flask:
    """The app on the phone numbers of the tests, with the demo directory loaded."""
    from directory import entries, sync
    from tests import phone

    sync.load(db, entries.parse(DEMO_DIRECTORY.read_text()))
    db.commit()
    return create_app(
        app_config(
            engine.url.render_as_string(hide_password=False),
            CATA_NUMBERS=[phone.CATA],
            OFFICE_NUMBER=phone.OFFICE,
        )
    )


@pytest.fixture
def desk(phone_app: Flask, db: Session) -> Flask:
    """Ticket 1001: regular, Marie Tremblay's call of Tuesday December 1 at 10:00 with a recorded
    message, to call back by 14:00, nobody reached her yet; the demo staff with passwords. (A
    test file whose console needs another world has its own ``desk``.)"""
    from tests import phone
    from tests.console_world import give_passwords

    give_passwords(db)
    phone.place_call(phone_app, phone.at(2026, 12, 1, 10), press="6")
    return phone_app


@dataclass
class SmtpInbox:
    port: int
    messages: list[EmailMessage]

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@pytest.fixture
def smtp_inbox() -> Iterator[SmtpInbox]:
    """A real SMTP server on loopback that keeps what it receives."""
    with _smtp_server(None) as inbox:
        yield inbox


@pytest.fixture
def refusing_smtp() -> Iterator[SmtpInbox]:
    """A real SMTP server on loopback that knows no client: it refuses their addresses for good
    (550 5.1.1), and keeps what it receives for staff."""
    with _smtp_server("550 5.1.1 No such user here") as inbox:
        yield inbox


@pytest.fixture
def deferring_smtp() -> Iterator[SmtpInbox]:
    """The same, but a client's address is only put off for now (451: greylisted)."""
    with _smtp_server("451 4.7.1 Greylisted, try again later") as inbox:
        yield inbox


@contextmanager
def _smtp_server(to_clients: str | None) -> Iterator[SmtpInbox]:
    """An SMTP server on a free port that answers ``to_clients`` to any address outside
    altilogix.example (None: it takes them too)."""
    from aiosmtpd.controller import Controller

    received: list[EmailMessage] = []

    class Keep:
        async def handle_RCPT(
            self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
        ) -> str:
            if to_clients and not address.endswith("@altilogix.example"):
                return to_clients
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            received.append(parsed)
            return "250 Message accepted for delivery"

    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpInbox(port, received)
    finally:
        controller.stop()
