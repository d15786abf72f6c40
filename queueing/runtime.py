"""What RQ jobs run against: the database and settings of the process that started them.

The worker configures this once at start-up; jobs then open their own short transactions with
``session()``. Tests configure it with their own database.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from models.db import make_engine, make_session_factory


class _Runtime:
    settings: Mapping[str, Any] = {}
    session_factory: sessionmaker[Session] | None = None


_runtime = _Runtime()


def configure(
    settings: Mapping[str, Any], session_factory: sessionmaker[Session] | None = None
) -> None:
    _runtime.settings = settings
    _runtime.session_factory = session_factory or make_session_factory(
        make_engine(settings["DATABASE_URL"])
    )


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
