"""The Flask application factory: ``flask --app app run``, ``gunicorn 'app:create_app()'``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
from flask import Flask
from flask.cli import NoAppException
from werkzeug.middleware.proxy_fix import ProxyFix

import console
import health
import settings
from cli import register_commands
from helpdesk import context as helpdesk_context
from ivr import menu, prompts, routes, steps
from ivr.twiml import Voice
from mail import hook, pipe
from pager import door
from survey import page
from web import context as web_context
from web import inputs, languages, limits, metrics, security, webhook_log


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; values in ``config`` (by setting name) override the environment.

    Everything is loaded and checked here: settings, business hours, the prompt catalog, the
    menu and the staff texts. A bad one stops start-up with a message that names it. A web
    server (gunicorn) gets the production checks here; the ``flask`` command line loads the app
    without them, to list its commands, and each command asks for the settings it uses.
    """
    command_line = click.get_current_context(silent=True) is not None
    try:
        values = settings.load(None, config)
        if not command_line:
            settings.check_production(values)
    except settings.ConfigError as error:
        if command_line:  # one line naming the setting, not a traceback
            raise NoAppException(str(error)) from None
        raise
    settings.configure_logging(values)
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(
        SECRET_KEY=values.secret_key,
        TESTING=values.testing,
        # Twilio's requests are a few kilobytes; anything far larger is refused before parsing.
        MAX_CONTENT_LENGTH=values.max_content_length,
        SETTINGS=values,
    )
    if values.trusted_proxies:
        # The client's address as the proxies in front saw it (sign-in limits per address).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=values.trusted_proxies)  # type: ignore[method-assign]
    web_context.install(app, helpdesk_context.build(values))
    # Control characters, over-long values, absurd numbers and dates: refused before any view;
    # Twilio's doors clean their own values instead (a caller must always get an answer).
    inputs.install(app, exempt_blueprints={hook.bp.name, steps.bp.name, door.bp.name})
    csrf = security.protect(app, values)
    languages.speak(app, values, reader_language=console.reader_language)
    routes.register(app, load_voice(values))  # /voice: Twilio's calls
    app.register_blueprint(door.bp)  # /sms: the technicians' pager replies
    app.register_blueprint(hook.bp)  # /email/inbound: an email provider's hook
    app.register_blueprint(health.bp)  # /healthz, /livez, /readyz
    metrics.install(app)  # /metrics, and the requests' timings
    webhook_log.install(app)  # one log line for each of Twilio's requests, naming its call
    app.register_blueprint(page.bp)  # /survey: the clients' satisfaction survey
    console.register(app)  # /console: the staff's pages
    # Twilio signs its webhooks, the mail hook has its bearer secret, /healthz only reads.
    for cookieless in (steps.bp, door.bp, hook.bp, health.bp, metrics.bp):
        csrf.exempt(cookieless)
    limits.install(app, values)  # sign-in, survey, mail hook and SMS: 429 past their rates
    register_commands(app)
    app.cli.add_command(pipe.email)  # `flask email ingest`: the mail server's pipe
    if command_line:
        # `flask run` serves requests too: it may not do so without the production checks.
        app.before_request(lambda: settings.check_production(values))
    return app


def load_voice(values: settings.Settings) -> Voice:
    """The phone line's catalog and menu, checked against what the call flows say."""
    catalog = prompts.load()
    voices = {"fr": values.voice_fr, "en": values.voice_en}
    return Voice.build(catalog, menu.load(catalog), voices, values.recording_max_seconds)
