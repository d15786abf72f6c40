"""``flask recordings``: callers' messages kept in the storage every host reaches."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from cli import helpdesk
from helpdesk import recordings as kept


@click.group()
def recordings() -> None:
    """Callers' messages: our copies of Twilio's recordings."""


@recordings.command("move")
@click.option(
    "--from",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="the folder older versions copied into (default: RECORDINGS_DIR)",
)
@with_appcontext
def move(folder: Path | None) -> None:
    """Move the copies older versions kept on this host's disk into the shared storage (run it
    once on each host that ran a worker); each file is deleted once it is moved."""
    context = helpdesk()
    source = folder or Path(context.settings.recordings_dir)
    moved = sum(1 for _ in kept.move_from_folder(context, source))
    click.echo(f"{moved} recording(s) moved from {source} into the database")


@recordings.command("purge")
@with_appcontext
def purge() -> None:
    """Delete the copies older than RECORDINGS_KEEP_DAYS now (the worker does it every hour)."""
    click.echo(f"{kept.purge_old(helpdesk())} recording(s) deleted")
