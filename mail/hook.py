"""``POST /email/inbound``: an email provider's inbound hook posts one raw MIME message.

The hook stores the bytes and answers at once (202): it parses nothing, so no message, however
hostile, can hold a web worker or make the provider post it again; a job reads it.
The caller proves itself with ``Authorization: Bearer <INBOUND_EMAIL_SECRET>``, compared in
constant time; without the secret set, the hook refuses everything. It uses no cookie and no
session, so it needs (and must keep) an exemption from any CSRF protection the web pages add.
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, jsonify, request

from mail import intake
from web import context as web_context

log = logging.getLogger(__name__)
bp = Blueprint("email_hook", __name__)


@bp.post("/email/inbound")
def inbound() -> tuple[Response, int] | Response:
    context = web_context.current()
    if not _authorized(context.settings.inbound_email_secret):
        response = jsonify(error="unauthorized")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response, 401
    # A mail is far bigger than a webhook: this route alone takes up to MAIL_ACCEPT_MAX_BYTES
    # (a bigger one gets 413, and the provider bounces it to its sender).
    request.max_content_length = context.settings.mail_accept_max_bytes
    raw = request.get_data(cache=False)
    try:
        stored_id = intake.accept(context, raw, source="http")
    except Exception as error:
        # 503, so that the provider keeps the message and posts it again later.
        log.error("email not stored (%s); the sender should retry", type(error).__name__)
        return jsonify(error="not stored; try again later"), 503
    return jsonify(outcome="stored", stored=stored_id), 202


def _authorized(secret: str) -> bool:
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    if not secret or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), secret.encode())
