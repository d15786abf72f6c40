"""The running app's helpdesk context: ``create_app`` installs it, every door reads it."""

from __future__ import annotations

from flask import Flask, current_app

from helpdesk.context import Context

KEY = "helpdesk"


def install(app: Flask, context: Context) -> None:
    app.extensions[KEY] = context


def current() -> Context:
    """This app's context: its settings, database, business hours and texts."""
    context: Context = current_app.extensions[KEY]
    return context
