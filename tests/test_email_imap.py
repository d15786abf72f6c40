"""The IMAP door, against a real Dovecot: unseen mail is stored, then marked read or moved;
at least once, with re-deliveries dropped by Message-ID."""

from __future__ import annotations

import imaplib
import ssl
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import create_app
from helpdesk.context import Context
from mail import imap as imap_poll
from mail.intake import Outcome
from models import EmailMessage, Quarantine, Ticket
from tests import dovecot
from tests.conftest import app_config
from tests.mailing import corpus, letter, prepare, stored, worker
from tests.test_email_intake import CORPUS, _message_id
from tests.test_mail_hostile import many_parts


@pytest.fixture(scope="session")
def imap_server() -> Iterator[dovecot.Dovecot]:
    with dovecot.running() as server:
        yield server


def _login(server: dovecot.Dovecot) -> imaplib.IMAP4_SSL:
    tls = ssl.create_default_context(cafile=server.ca_file)
    imap = imaplib.IMAP4_SSL("127.0.0.1", server.imaps_port, ssl_context=tls, timeout=10)
    imap.login(dovecot.USER, dovecot.PASSWORD)
    return imap


@pytest.fixture
def mailbox(imap_server: dovecot.Dovecot) -> Iterator[imaplib.IMAP4_SSL]:
    """A client's view of the support mailbox, emptied before each test."""
    imap = _login(imap_server)
    for folder in ("INBOX", "Done"):
        if count(imap, folder):
            imap.store("1:*", "+FLAGS", "(\\Deleted)")
            imap.expunge()
    imap.select("INBOX")
    yield imap
    imap.logout()


@pytest.fixture
def reading(phone_app: Flask, db: Session, imap_server: dovecot.Dovecot) -> Context:
    """The worker, reading the test mailbox over IMAPS."""
    prepare(db)
    return worker(phone_app, imap_url=imap_server.url(), imap_ca_file=imap_server.ca_file)


def deliver(imap: imaplib.IMAP4_SSL, raw: bytes) -> None:
    assert imap.append("INBOX", "", imaplib.Time2Internaldate(0), raw)[0] == "OK"


def unseen(imap: imaplib.IMAP4_SSL, folder: str = "INBOX") -> int:
    imap.select(folder)
    return len(imap.search(None, "UNSEEN")[1][0].split())


def count(imap: imaplib.IMAP4_SSL, folder: str) -> int:
    status, data = imap.select(folder)
    return int(data[0] or 0) if status == "OK" else 0


def test_the_corpus_read_from_imap_becomes_what_it_is(
    reading: Context, mailbox: imaplib.IMAP4_SSL, db: Session
) -> None:
    for name in [*CORPUS, "not_mail.png"]:
        deliver(mailbox, corpus(name))
    assert imap_poll.read_unseen(reading, imap_poll.Mailbox.of(reading.settings)) == 12  # type: ignore[arg-type]
    # Read in a row, Apple Mail's reply names Outlook's message in its References: a reply.
    expected = {**CORPUS, "apple_mail_reply.eml": (Outcome.REPLY, None, [])}
    for name, (outcome, reason, _) in expected.items():
        row = stored(db, _message_id(corpus(name)))
        assert (row.outcome, row.automatic, row.source) == (outcome.value, reason, "imap")
    thread = stored(db, _message_id(corpus("outlook_alternative_qp.eml"))).ticket_id
    assert stored(db, _message_id(corpus("apple_mail_reply.eml"))).ticket_id == thread
    assert db.scalars(select(Quarantine.source)).all() == ["imap"]
    assert unseen(mailbox) == 0


def test_a_second_poll_finds_nothing_new(
    reading: Context, mailbox: imaplib.IMAP4_SSL, db: Session
) -> None:
    deliver(mailbox, letter())
    imap_poll.poll(reading)
    imap_poll.poll(reading)
    assert db.scalar(select(func.count(EmailMessage.id))) == 1


def test_a_message_read_again_after_a_crash_is_stored_once(
    reading: Context, mailbox: imaplib.IMAP4_SSL, db: Session
) -> None:
    deliver(mailbox, letter())
    imap_poll.poll(reading)
    mailbox.select("INBOX")
    mailbox.store("1:*", "-FLAGS", "(\\Seen)")  # as if the poller died before marking it
    imap_poll.poll(reading)
    assert db.scalar(select(func.count(Ticket.id))) == 1
    assert unseen(mailbox) == 0


def test_read_mail_is_moved_to_the_done_folder_when_one_is_set(
    reading: Context, mailbox: imaplib.IMAP4_SSL, db: Session
) -> None:
    moving = reading.replace(settings=reading.settings.replace(imap_done_folder="Done"))
    deliver(mailbox, letter())
    deliver(mailbox, corpus("gmail_vacation.eml"))
    imap_poll.poll(moving)
    assert (count(mailbox, "INBOX"), count(mailbox, "Done")) == (0, 2)
    assert db.scalar(select(func.count(EmailMessage.id))) == 2


def test_starttls_on_the_imap_port_works_too(
    reading: Context, mailbox: imaplib.IMAP4_SSL, imap_server: dovecot.Dovecot, db: Session
) -> None:
    starttls = reading.replace(settings=reading.settings.replace(imap_url=imap_server.url("imap")))
    deliver(mailbox, letter())
    imap_poll.poll(starttls)
    assert db.scalar(select(func.count(Ticket.id))) == 1


def test_a_server_whose_certificate_is_not_trusted_is_refused(
    reading: Context, mailbox: imaplib.IMAP4_SSL
) -> None:
    untrusting = reading.replace(settings=reading.settings.replace(imap_ca_file=""))
    deliver(mailbox, letter())
    with pytest.raises(ssl.SSLCertVerificationError):
        imap_poll.poll(untrusting)
    assert unseen(mailbox) == 1


def test_when_the_database_is_away_the_mail_stays_unseen(
    imap_server: dovecot.Dovecot, mailbox: imaplib.IMAP4_SSL
) -> None:
    app = create_app(
        app_config(
            "postgresql+psycopg://nobody@127.0.0.1:1/none",
            IMAP_URL=imap_server.url(),
            IMAP_CA_FILE=imap_server.ca_file,
        )
    )
    deliver(mailbox, letter())
    with pytest.raises(Exception, match=r"OperationalError|connection"):
        imap_poll.poll(worker(app))
    assert unseen(mailbox) == 1


def test_a_hostile_message_in_the_mailbox_is_quarantined_within_a_second_and_marked_read(
    reading: Context, mailbox: imaplib.IMAP4_SSL, db: Session
) -> None:
    raw = many_parts(20_000)
    deliver(mailbox, raw)
    deliver(mailbox, letter())
    started = time.monotonic()
    imap_poll.poll(reading)
    assert time.monotonic() - started < 2.0  # two messages, one of them a megabyte
    assert db.scalars(select(Quarantine.reason)).all() == ["too_many_parts"]
    assert db.scalar(select(func.count(Ticket.id))) == 1
    assert unseen(mailbox) == 0
