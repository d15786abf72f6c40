"""Log lines carry no personal data: phone numbers, email addresses, survey tokens and secrets
are masked in everything a log handler writes, tracebacks included, whatever failed and
wherever (gunicorn's own logs too: gunicorn.conf.py).

Masked, not removed: ``+1514…01`` and ``m…@boulangerie.example`` still tell two callers apart.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from pythonjsonlogger.json import JsonFormatter

# E.164 (+15145550101), North American with separators (514 555-0101, (514) 555.0101), and bare
# runs of 10 or 11 digits; never inside a longer word such as a Twilio SID.
_PHONE = re.compile(r"(?<![\w+])(\+\d{8,15}|\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}|1?\d{10})(?![\w])")
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")
# A survey link's token is the key to a client's survey: a path that carries it keeps only "…".
_SURVEY_TOKEN = re.compile(r"(/survey/)[^/?#\s\"']+")
# A request's query string (a search for a phone number, a date typed): gunicorn's error lines
# name the request whole ("Error handling request GET /console/calls/?number=…").
# gunicorn's "Invalid request from ip=…": who asked is not kept (the access log leaves it out).
_CLIENT_IP = re.compile(r"\b(from ip=)\S+?(:?\s)")
_QUERY = re.compile(r"\b((?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /[^\s?]*)\?[^\s\"]*")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[secret]")
    text = _SURVEY_TOKEN.sub(r"\1…", text)
    text = _QUERY.sub(r"\1?…", text)
    text = _CLIENT_IP.sub(r"\1…\2", text)
    text = _EMAIL.sub(r"\1…@\2", text)
    return _PHONE.sub(lambda m: _mask_number(m.group(1)), text)


def _mask_number(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    return f"{number[:5]}…{digits[-2:]}" if number.startswith("+") else f"…{digits[-2:]}"


class RedactingFormatter(logging.Formatter):
    """A formatter whose output, message and traceback alike, is redacted."""

    def __init__(self, fmt: str, secrets: Iterable[str] = (), datefmt: str | None = None) -> None:
        super().__init__(fmt, datefmt)
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


class RedactingJsonFormatter(JsonFormatter):
    """LOG_FORMAT=json: one JSON object a line (time, level, logger, message, and the call,
    ticket and job it concerns: ``log_fields``), each text value redacted before it is encoded."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(call_sid)s %(ticket)s %(job)s",
            rename_fields={"levelname": "level", "name": "logger", "asctime": "time"},
            json_ensure_ascii=False,
        )
        self.secrets = tuple(s for s in secrets if s)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {
            key: redact(value, self.secrets) if isinstance(value, str) else value
            for key, value in log_data.items()
        }
