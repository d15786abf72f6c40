"""The request's database session: opened on first use, closed when the request ends."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker


def init_app(app: Flask, session_factory: sessionmaker[Session]) -> None:
    app.extensions["session_factory"] = session_factory
    app.teardown_appcontext(_close_session)


def db_session() -> Session:
    if "db" not in g:
        factory: sessionmaker[Session] = current_app.extensions["session_factory"]
        g.db = factory()
    session: Session = g.db
    return session


def _close_session(_error: BaseException | None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()
