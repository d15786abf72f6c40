"""The staff console: web pages for technicians and supervisors, under /console.

Doors only: a view reads the form, calls a helpdesk service in one transaction, and renders.
What every page of the app shares (sessions, CSRF, headers, languages) is ``web``'s.
"""

from __future__ import annotations

from flask import Flask, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale

from console import access, errors, filters, forms
from i18n import LANGUAGES
from telephony import rest
from web import context as web_context


def register(app: Flask) -> None:
    """Put the console's blueprints, filters and page globals on ``app``."""
    from console import (
        auth,
        banks,
        calls,
        closures,
        dashboard,
        directory,
        messages,
        quarantine,
        recordings,
        roster,
        supervise,
        ticket_list,
        tickets,
        timesheet,
    )

    blueprints = (
        auth.bp,
        tickets.bp,
        ticket_list.bp,
        timesheet.bp,
        calls.bp,
        supervise.bp,
        roster.bp,
        closures.bp,
        directory.bp,
        quarantine.bp,
        banks.bp,
        recordings.bp,
        messages.bp,
        dashboard.bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    filters.register(app)
    errors.register(app)
    app.add_url_rule("/", "home", access.allow(access.ANYONE)(_home))
    # Where a browser looks without reading a page (a bookmark, a tab opened on a PDF).
    app.add_url_rule("/favicon.ico", "favicon", access.allow(access.ANYONE)(_favicon))
    app.context_processor(_page_globals)
    app.after_request(access.remember_language)


def reader_language() -> str | None:
    """The signed-in staff member's language, which the pages speak; once their session has
    ended, the one they last read (a cookie, console.access.remember_language); None for a
    visitor."""
    viewer = access.current_viewer()
    if viewer is not None:
        return viewer.language
    remembered = request.cookies.get(access.LANGUAGE_COOKIE, "")
    return remembered if remembered in LANGUAGES else None


def _home() -> ResponseReturnValue:
    return redirect(url_for("tickets.index"))


def _favicon() -> ResponseReturnValue:
    return redirect(url_for("auth.static", filename="favicon.svg"), code=301)


def _page_globals() -> dict[str, object]:
    return {
        "viewer": access.current_viewer(),
        "lang": str(get_locale() or LANGUAGES[0]),
        "draft": errors.take_draft(),  # what was typed here before the session ended
        # Without Twilio's credentials (a developer's machine) no message is ever copied here.
        "copies_recordings": rest.has_credentials(web_context.current().settings),
        "submission_key": forms.submission_key,  # each form that adds something gets its own
    }
