"""Every request from Twilio (under /voice and /sms) must carry its signature, checked against
PUBLIC_BASE_URL."""

from __future__ import annotations

import logging

from flask import abort, current_app, request
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator, get_signature_algorithm

from settings import Settings

log = logging.getLogger(__name__)


def _settings() -> Settings:
    settings: Settings = current_app.config["SETTINGS"]
    return settings


def public_base() -> str:
    """The address Twilio reaches the app at; the URLs the app writes and checks start with it."""
    return (_settings().public_base_url or request.host_url).rstrip("/")


def public_url() -> str:
    """The URL Twilio requested: the public base (behind any TLS-ending proxy), path and query."""
    query = request.query_string.decode("latin-1")
    return f"{public_base()}{request.path}" + (f"?{query}" if query else "")


def check_signature() -> None:
    """A blueprint ``before_request``: 403 unless Twilio signed this very request."""
    settings = _settings()
    if settings.twilio_skip_signature and settings.development:
        return
    signature = request.headers.get(SIGNATURE_HEADER, "")
    token = settings.twilio_auth_token
    algorithm = get_signature_algorithm(request.headers.get("X-Twilio-Webhooks-Signature-Settings"))
    if signature and token:
        validator = RequestValidator(token)
        if validator.validate(public_url(), request.form, signature, algorithm=algorithm):
            return
    log.warning("refused an unsigned or badly signed request to %s", request.path)
    abort(403)
