"""The ``flask --app app …`` commands."""

from __future__ import annotations

import click
from flask import Flask

import settings
from helpdesk.context import Context
from web import context as web_context


def helpdesk() -> Context:
    """The running app's context: its settings, database and business hours."""
    return web_context.current()


def require(*names: str) -> None:
    """This command uses these settings: outside development, refuse in one line, naming the
    ones missing, rather than fail later (the app is loaded for the command line unchecked)."""
    try:
        settings.require(helpdesk().settings, names)
    except settings.ConfigError as error:
        raise click.UsageError(str(error)) from None


def register_commands(app: Flask) -> None:
    from cli import call, db, directory, hours, recordings, spool, staff, twilio

    app.cli.add_command(call.call)
    app.cli.add_command(db.db)
    app.cli.add_command(hours.hours)
    app.cli.add_command(directory.directory)
    app.cli.add_command(recordings.recordings)
    app.cli.add_command(spool.spool)
    app.cli.add_command(staff.staff)
    app.cli.add_command(twilio.twilio)
