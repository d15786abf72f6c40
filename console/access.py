"""Who may use each console route: every view says it with ``@allow(...)``, and a view that
says nothing is refused (the blueprints check it before any view runs)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Response, abort, current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest

from helpdesk import staff_sessions
from helpdesk.context import Context
from models import Role, StaffMember, utcnow
from web import context as web_context

ANYONE = "anyone"  # the sign-in page itself
STAFF = "staff"  # technicians and supervisors
SUPERVISORS = "supervisors"
LEVELS = (ANYONE, STAFF, SUPERVISORS)

View = TypeVar("View", bound=Callable[..., ResponseReturnValue])


@dataclass(frozen=True)
class Viewer:
    """The signed-in staff member, as the pages need them (not a database row)."""

    id: int
    name: str
    email: str
    role: Role
    language: str

    @property
    def supervisor(self) -> bool:
        return self.role == Role.SUPERVISOR


class SessionEnded(BadRequest):
    """A form sent after the server ended its session (console.errors answers it)."""


def helpdesk() -> Context:
    return web_context.current()


def allow(who: str) -> Callable[[View], View]:
    """Mark and guard a view: anonymous visitors go to sign in, others need the level."""
    if who not in LEVELS:
        raise ValueError(f"unknown access level {who!r}")

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if who != ANYONE:
                viewer = current_viewer()
                if viewer is None and request.method == "POST" and session_key():
                    # The server ended the session (idle, signed out everywhere, a new role)
                    # while the form was open: keep what was typed, as for an expired form.
                    raise SessionEnded()
                if viewer is None:
                    return redirect(url_for("auth.sign_in") + "?" + urlencode({"next": _here()}))
                if who == SUPERVISORS and not viewer.supervisor:
                    abort(403, description=gettext("this page is for supervisors"))
            return view(*args, **kwargs)

        guarded.access = who  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


def access_of(endpoint: str | None) -> str | None:
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "access", None)


def refuse_unmarked() -> None:
    """Blueprints' before_request: a console view that does not say who may use it is refused."""
    if access_of(request.endpoint) is None and not (request.endpoint or "").endswith(".static"):
        abort(403)


def _here() -> str:
    query = request.query_string.decode()
    return request.path + (f"?{query}" if query and request.method == "GET" else "")


def current_viewer() -> Viewer | None:
    """The staff member of this request's session, once per request; None when signed out or
    when the server ended or expired the session."""
    if "viewer" in g:
        viewer: Viewer | None = g.viewer
        return viewer
    g.viewer = _load_viewer()
    return g.viewer  # type: ignore[no-any-return]


def _load_viewer() -> Viewer | None:
    key = session.get("key")
    if not isinstance(key, str):
        return None
    settings = current_app.config["SETTINGS"]
    with helpdesk().transaction() as db:
        staff = staff_sessions.find(
            db,
            key,
            utcnow(),
            idle=timedelta(minutes=settings.console_idle_minutes),
            longest=timedelta(minutes=settings.console_session_minutes),
        )
        if staff is None:
            return None
        return Viewer(staff.id, staff.name, staff.email, staff.role, staff.language.value)


# The language a staff member last read the console in, kept past their session: the page that
# says their session ended (console/errors.py) and the sign-in page speak it. Not a secret.
LANGUAGE_COOKIE = "console_language"
LANGUAGE_COOKIE_DAYS = 365


def remember_language(response: Response) -> Response:
    """After a console page read by a signed-in staff member: remember their language."""
    viewer = g.get("viewer")
    if viewer is not None and request.cookies.get(LANGUAGE_COOKIE) != viewer.language:
        response.set_cookie(
            LANGUAGE_COOKIE,
            viewer.language,
            max_age=LANGUAGE_COOKIE_DAYS * 86400,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    return response


def start_session(db: Session, staff: StaffMember) -> None:
    """A fresh session (no fixation), known to the server, in the transaction ``db``; the
    session this browser had before, if any, ends; a form's draft kept when the last session
    ended (console.errors) stays for its page."""
    if session_key():
        staff_sessions.end(db, session_key(), utcnow())
    draft = session.get("draft")
    session.clear()
    if draft is not None:
        session["draft"] = draft
    session.permanent = True
    session["key"] = staff_sessions.start(db, staff, utcnow())
    g.pop("viewer", None)


def session_key() -> str:
    key = session.get("key")
    return key if isinstance(key, str) else ""


def end_session() -> None:
    """Sign this session out on the server, then forget the cookie."""
    key = session_key()
    if key:
        with helpdesk().transaction() as db:
            staff_sessions.end(db, key, utcnow())
    session.clear()
    g.pop("viewer", None)
