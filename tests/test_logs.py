"""Logs carry no personal data, whatever fails: the lines of a bad day read line by line."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.orm import Session

import settings
from models import StaffMember
from redaction import RedactingFormatter, redact
from sending import staff_notices
from tests.phone import MAIN, MARIE, TOKEN, at, helpdesk, place_call, signed_post, the_ticket

PERSONAL = ("5550101", "555-0101", "marie@boulangerie.example", "luc@altilogix.example", TOKEN)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("from +15145550101 to +15149826161", "from +1514…01 to +1514…61"),
        ("dial (514) 555-0101 now", "dial …01 now"),
        ("number 5145550101.", "number …01."),
        ("to marie@boulangerie.example:", "to m…@boulangerie.example:"),
    ],
)
def test_numbers_and_addresses_are_masked(line: str, expected: str) -> None:
    assert redact(line) == expected


def test_a_requests_query_string_is_masked_where_a_line_names_the_request() -> None:
    line = "Error handling request GET /console/tickets/?q=O'Brien+514+555-0121&client=ACME"
    assert redact(line) == "Error handling request GET /console/tickets/?…"


def test_the_client_address_of_an_invalid_request_is_masked() -> None:
    line = "Invalid request from ip=198.51.100.7: Invalid HTTP method"
    assert redact(line) == "Invalid request from ip=…: Invalid HTTP method"


def test_sids_times_and_ticket_numbers_are_left_alone() -> None:
    line = "2026-12-01 10:15:02,123 CallSid CA11111111111111111111111111111111 ticket 1042"
    assert redact(line) == line


def test_secrets_are_masked() -> None:
    assert redact("token=abc123 used", ["abc123"]) == "token=[secret] used"


@pytest.fixture
def log_output(phone_app: Flask) -> Iterator[io.StringIO]:
    """Everything logged, as the configured handler writes it."""
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.setFormatter(RedactingFormatter(settings.LOG_FORMAT, [TOKEN]))
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield output
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_a_bad_day_leaves_no_personal_data_in_the_logs(
    phone_app: Flask, db: Session, monkeypatch: pytest.MonkeyPatch, log_output: io.StringIO
) -> None:
    ticket = the_ticket(db, place_call(phone_app, at(2026, 12, 1, 10), press="6"))
    signed_post(phone_app, "/voice/incoming", {"CallSid": "CA1", "From": MARIE}, token="forged")
    failing = helpdesk(phone_app)
    failing = failing.replace(settings=failing.settings.replace(smtp_url="smtp://127.0.0.1:1"))
    luc = db.scalars(select(StaffMember).where(StaffMember.name == "Luc Gagnon")).one()
    with pytest.raises(RuntimeError):
        staff_notices.notify_ticket(failing, ticket.id, [luc.id])

    def a_database_error(session: Session, raw_from: str) -> None:
        session.execute(text("SELECT * FROM no_such_table WHERE n = :n"), {"n": raw_from})

    def an_error_naming_the_caller(_session: Session, raw_from: str) -> None:
        raise ValueError(f"{raw_from!r} is not a valid phone number")  # as phones.to_e164 says

    monkeypatch.setattr("helpdesk.phone.identify", an_error_naming_the_caller)
    signed_post(phone_app, "/voice/incoming", {"CallSid": "CA" + "3" * 32, "From": MARIE})
    monkeypatch.setattr("helpdesk.phone.identify", a_database_error)
    signed_post(
        phone_app, "/voice/incoming", {"CallSid": "CA" + "2" * 32, "From": MARIE, "To": MAIN}
    )
    written = log_output.getvalue()
    assert "no_such_table" in written  # the failure is there, for whoever reads the log
    assert [value for value in PERSONAL if value in written] == []


def test_the_logging_set_up_redacts_every_handler() -> None:
    root = logging.getLogger()
    saved = [(h, h.formatter) for h in root.handlers]
    try:
        settings.configure_logging(settings.load({}, {"TWILIO_AUTH_TOKEN": "t0k3n"}))
        assert root.handlers
        assert all(isinstance(h.formatter, RedactingFormatter) for h in root.handlers)
    finally:
        for handler, formatter in saved:
            handler.setFormatter(formatter)


def test_every_secret_of_the_settings_is_masked() -> None:
    root = logging.getLogger()
    saved = [(h, h.formatter) for h in root.handlers]
    try:
        settings.configure_logging(
            settings.load(
                {},
                {
                    "INBOUND_EMAIL_SECRET": "hook-s3cret",
                    "IMAP_URL": "imaps://support:imap-s3cret@mail.altilogix.example",
                    "DATABASE_URL": "postgresql+psycopg://app:db-s3cret@db.altilogix.example/x",
                },
            )
        )
        formatter = root.handlers[0].formatter
        assert isinstance(formatter, RedactingFormatter)
        record = logging.LogRecord(
            "t", logging.INFO, "", 0, "hook-s3cret imap-s3cret db-s3cret", None, None
        )
        assert "s3cret" not in formatter.format(record)
    finally:
        for handler, formatter in saved:
            handler.setFormatter(formatter)
