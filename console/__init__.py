"""The staff console: web pages for technicians and supervisors, under /console.

Doors only: a view reads the form, calls a helpdesk service in one transaction, and renders.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask, Response, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import Babel, get_locale
from flask_wtf.csrf import CSRFError, CSRFProtect

from console import access, filters
from helpdesk.context import Context

TRANSLATIONS = Path(__file__).with_name("translations")
LANGUAGES = ("fr", "en")  # French first: the default for anybody not signed in who asks for none

# Pages load only what the app itself serves: no inline script or style, no other origin.
# Recordings are played from the app's own copy (console/recordings.py), never from Twilio.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",  # the SLA board's and the dashboard's scripts read their data here
        "media-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def register(app: Flask, context: Context) -> None:
    """Put the console on ``app``: sessions, CSRF, languages, its blueprints and headers."""
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
        survey,
        ticket_list,
        tickets,
        timesheet,
    )
    from ivr import steps
    from web import email_hook, health, sms

    values = context.settings
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=not values.development,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=values.console_session_minutes),
        # A token lives as long as the session it is bound to: a form left open over lunch works.
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="fr",
        BABEL_DEFAULT_TIMEZONE=values.timezone,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
    )
    csrf = CSRFProtect(app)
    # Twilio signs its webhooks (voice and SMS) instead; the inbound-mail hook has its bearer
    # secret and no cookie; /healthz only reads.
    csrf.exempt(steps.bp)
    csrf.exempt(email_hook.bp)
    csrf.exempt(sms.bp)
    csrf.exempt(health.bp)
    Babel(app, locale_selector=_locale)
    blueprints = (
        auth.bp,
        tickets.bp,
        ticket_list.bp,
        timesheet.bp,
        calls.bp,
        supervise.bp,
        survey.bp,
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
    app.add_url_rule("/", "home", access.allow(access.ANYONE)(_home))
    app.context_processor(_page_globals)
    app.register_error_handler(CSRFError, _csrf_refused)
    app.after_request(_security_headers)


def _home() -> ResponseReturnValue:
    return redirect(url_for("tickets.index"))


def _page_globals() -> dict[str, object]:
    return {"viewer": access.current_viewer(), "lang": str(get_locale() or LANGUAGES[0])}


def _locale() -> str:
    viewer = access.current_viewer()
    if viewer is not None:
        return viewer.language
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def _csrf_refused(error: CSRFError) -> ResponseReturnValue:
    return Response(f"400 Bad Request: {error.description}", 400, mimetype="text/plain")


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    private = request.path.startswith(("/console", "/survey"))
    if private and not (request.endpoint or "").endswith(".static"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response
