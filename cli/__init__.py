"""The ``flask --app app …`` commands."""

from __future__ import annotations

from flask import Flask, current_app

from helpdesk.context import Context


def helpdesk() -> Context:
    """The running app's context: its settings, database and business hours."""
    context: Context = current_app.extensions["helpdesk"]
    return context


def register_commands(app: Flask) -> None:
    from cli import call, db, directory, email, hours, spool, staff

    app.cli.add_command(call.call)
    app.cli.add_command(db.db)
    app.cli.add_command(hours.hours)
    app.cli.add_command(directory.directory)
    app.cli.add_command(spool.spool)
    app.cli.add_command(email.email)
    app.cli.add_command(staff.staff)
