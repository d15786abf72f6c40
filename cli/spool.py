"""``flask spool``: what webhooks kept on disk while the database was down."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from cli import helpdesk
from helpdesk import replay
from queueing import spool as local_spool


@click.group()
def spool() -> None:
    """The local spool of webhooks the database missed."""


@spool.command("replay")
@click.option(
    "--folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="another host's spool, copied here (a host that died with webhooks in its spool)",
)
@with_appcontext
def replay_command(folder: Path | None) -> None:
    """Write what waits in the spool to the database (the worker does it every few seconds)."""
    context = helpdesk()
    if folder is not None:
        context = context.replace(settings=context.settings.replace(spool_dir=str(folder)))
    replayed = replay.replay_folder(context, limit=10_000)
    left = local_spool.pending(Path(context.settings.spool_dir))
    said = f"{replayed.written} spooled webhook(s) written"
    if replayed.already:
        # Another copy of the folder, or an earlier replay, wrote them: removed, not written again.
        said += f", {replayed.already} already written before (removed)"
    click.echo(said + ("; some could not be, yet" if left else ""))
