"""What RQ jobs run against: the database and settings of the process that started them.

The worker configures this once at start-up; jobs then open their own short transactions with
``session()``. Tests configure it with their own database.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from twilio.http import HttpClient

from models.db import make_engine, make_session_factory
from routing.config import BusinessHours
from routing.config import load as load_business_hours


class _Runtime:
    settings: Mapping[str, Any] = {}
    session_factory: sessionmaker[Session] | None = None
    business_hours: BusinessHours | None = None
    # Tests inject a recording HTTP client here; None means twilio's own, which goes to Twilio.
    twilio_http_client: HttpClient | None = None


_runtime = _Runtime()


def configure(
    settings: Mapping[str, Any],
    session_factory: sessionmaker[Session] | None = None,
    hours: BusinessHours | None = None,
) -> None:
    """Set what jobs run against; what is not given is made from ``settings`` when first used."""
    _runtime.settings = settings
    _runtime.session_factory = session_factory or make_session_factory(
        make_engine(settings["DATABASE_URL"])
    )
    _runtime.business_hours = hours


def business_hours() -> BusinessHours:
    if _runtime.business_hours is None:
        config = settings()
        _runtime.business_hours = load_business_hours(
            config.get("BUSINESS_HOURS_FILE") or None, config.get("TIMEZONE", "America/Toronto")
        )
    return _runtime.business_hours


def set_twilio_http_client(client: HttpClient | None) -> None:
    _runtime.twilio_http_client = client


def twilio_http_client() -> HttpClient | None:
    return _runtime.twilio_http_client


def settings() -> Mapping[str, Any]:
    return _runtime.settings


def session_factory() -> sessionmaker[Session]:
    if _runtime.session_factory is None:
        # A worker started by hand (``rq worker``) reads the same environment as ours.
        import settings as settings_module

        configure(settings_module.load())
    assert _runtime.session_factory is not None
    return _runtime.session_factory


@contextmanager
def session() -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    with session_factory().begin() as db:
        yield db
