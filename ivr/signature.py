"""Every request under /voice must carry Twilio's signature, checked against PUBLIC_BASE_URL."""

from __future__ import annotations

import logging

from flask import abort, current_app, request
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator, get_signature_algorithm

log = logging.getLogger(__name__)


def public_base() -> str:
    """The address Twilio reaches the app at; the URLs the app writes and checks start with it."""
    base: str = current_app.config["PUBLIC_BASE_URL"] or request.host_url
    return base.rstrip("/")


def public_url() -> str:
    """The URL Twilio requested: the public base (behind any TLS-ending proxy), path and query."""
    query = request.query_string.decode("latin-1")
    return f"{public_base()}{request.path}" + (f"?{query}" if query else "")


def check_signature() -> None:
    """A blueprint ``before_request``: 403 unless Twilio signed this very request."""
    config = current_app.config
    if config["TWILIO_SKIP_SIGNATURE"] and config["DEVELOPMENT"]:
        return
    signature = request.headers.get(SIGNATURE_HEADER, "")
    token = config["TWILIO_AUTH_TOKEN"]
    algorithm = get_signature_algorithm(request.headers.get("X-Twilio-Webhooks-Signature-Settings"))
    if signature and token:
        validator = RequestValidator(token)
        if validator.validate(public_url(), request.form, signature, algorithm=algorithm):
            return
    log.warning("refused an unsigned or badly signed request to %s", request.path)
    abort(403)
