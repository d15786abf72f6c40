"""The running app's helpdesk context: ``create_app`` installs it, every door reads it."""

from __future__ import annotations

from flask import Flask, current_app, request

import log_fields
from helpdesk.context import Context

KEY = "helpdesk"


def install(app: Flask, context: Context) -> None:
    app.extensions[KEY] = context
    app.before_request(_log_fields)


def _log_fields() -> None:
    """Every log line of a Twilio webhook carries its CallSid; of a ticket's page, its number."""
    view_args = request.view_args or {}
    # Only Twilio's call webhooks have their form read here: another door (the mail hook) sets
    # its own size limit before its body is read.
    # A SID is 34 characters: a forged request's longer value is cut, not written whole.
    call_sid = request.form.get("CallSid", "")[:64] if request.path.startswith("/voice/") else None
    log_fields.start_request(call_sid=call_sid, ticket=view_args.get("number"))


def current() -> Context:
    """This app's context: its settings, database, business hours and texts."""
    context: Context = current_app.extensions[KEY]
    return context
