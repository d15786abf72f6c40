"""``flask db``: the schema migrations, applied with Alembic."""

from __future__ import annotations

import click
from alembic import command
from alembic.config import Config
from flask.cli import with_appcontext

from cli import helpdesk
from migrations import alembic_config


def _config() -> Config:
    return alembic_config(helpdesk().settings.database_url)


@click.group()
def db() -> None:
    """Database schema migrations."""


@db.command()
@click.argument("revision", default="head")
@with_appcontext
def upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: the latest)."""
    command.upgrade(_config(), revision)


@db.command()
@click.argument("revision", default="-1")
@with_appcontext
def downgrade(revision: str) -> None:
    """Downgrade the database to REVISION (default: one step back; ``base`` for empty)."""
    command.downgrade(_config(), revision)


@db.command()
@with_appcontext
def current() -> None:
    """Show the revision the database is at."""
    command.current(_config())


@db.command()
@click.option("-m", "--message", required=True, help="what the migration does")
@with_appcontext
def revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    command.revision(_config(), message=message, autogenerate=True)
