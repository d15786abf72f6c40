"""The Flask application factory: ``flask --app app run``, ``gunicorn 'app:create_app()'``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

import ivr
import settings
from cli import register_commands
from models import utcnow
from models.db import make_engine, make_session_factory
from queueing import runtime
from routing import config as business_hours
from web import database, health


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; values in ``config`` override the environment."""
    values = settings.load(None, config)
    settings.check_production(values)
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(values)
    # Twilio's requests are a few kilobytes; anything far larger is refused before parsing.
    app.config["MAX_CONTENT_LENGTH"] = values.get("MAX_CONTENT_LENGTH", 256 * 1024)
    # Kept apart from Flask's own DEBUG, which `flask` commands reset from FLASK_DEBUG.
    app.config["DEVELOPMENT"] = settings.development(values)
    settings.configure_logging(values)

    hours = business_hours.load(values["BUSINESS_HOURS_FILE"] or None, values["TIMEZONE"])
    hours.warm_up(utcnow().year)
    app.extensions["business_hours"] = hours
    session_factory = make_session_factory(make_engine(values["DATABASE_URL"]))
    database.init_app(app, session_factory)
    # Tasks run in-process (by the CLI or the tests) see the same database as the app.
    runtime.configure(values, session_factory, hours)

    app.register_blueprint(health.bp)
    app.register_blueprint(ivr.bp)
    register_commands(app)
    return app
