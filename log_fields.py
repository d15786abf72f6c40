"""What a log line is about: the call (Twilio's CallSid), the ticket (its number) and the job
(the outbox task) it concerns, so one call can be followed across its webhooks and jobs.

The doors and the job runner set them for the length of a request or a job (``about``); the
logging filter copies them onto every record, and LOG_FORMAT=json writes them as fields.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# One variable per field: contextvars are per thread and per request, never shared.
FIELDS: dict[str, ContextVar[str | None]] = {
    "call_sid": ContextVar("call_sid", default=None),
    "ticket": ContextVar("ticket", default=None),
    "job": ContextVar("job", default=None),
}


@contextmanager
def about(**fields: object) -> Iterator[None]:
    """Log lines written inside the block carry these fields, and only these (a job run in a
    process that served a request carries nothing of it)."""
    tokens = [
        (variable, variable.set(_text(fields.get(name)))) for name, variable in FIELDS.items()
    ]
    try:
        yield
    finally:
        for variable, token in reversed(tokens):
            variable.reset(token)


def start_request(**fields: object) -> None:
    """At the start of each request: every field anew, those not given emptied. A web worker's
    thread serves one request after another, and nothing of the last one may stick."""
    for name, variable in FIELDS.items():
        variable.set(_text(fields.get(name)))


def note(**fields: object) -> None:
    """Inside a request or a job: a field learnt on the way (the ticket a call opened), on the
    lines that follow. Fields not given keep their values."""
    for name, value in fields.items():
        FIELDS[name].set(_text(value))


def _text(value: object) -> str | None:
    return None if value in (None, "") else str(value)


class FieldsFilter(logging.Filter):
    """Copies the fields onto each record (None where unknown)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, variable in FIELDS.items():
            setattr(record, name, variable.get())
        return True
