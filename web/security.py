"""What the app promises every browser: session cookies it cannot read or send elsewhere, a
CSRF token on every form, and headers that keep pages from loading anything the app does not
serve itself.

The doors that take no cookie prove themselves otherwise and are exempted by ``create_app``:
Twilio signs its webhooks, the inbound-mail hook carries its bearer secret, /healthz only
reads.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect

from settings import Settings

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


def protect(app: Flask, settings: Settings) -> CSRFProtect:
    """Cookies, CSRF and headers for every response of ``app``; the CSRF protection is returned
    for its exemptions."""
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=not settings.development,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.console_session_minutes),
        # A token lives as long as the session it is bound to: a form left open over lunch works.
        WTF_CSRF_TIME_LIMIT=None,
    )
    csrf = CSRFProtect(app)
    app.register_error_handler(CSRFError, _csrf_refused)
    app.after_request(_security_headers)
    return csrf


def _csrf_refused(error: CSRFError) -> ResponseReturnValue:
    return Response(f"400 Bad Request: {error.description}", 400, mimetype="text/plain")


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    # What the app answers names clients and tickets: no cache keeps it, static files aside.
    if not (request.endpoint or "").endswith("static"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response
