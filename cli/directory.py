"""``flask directory load FILE`` and ``flask directory dump``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from cli import helpdesk
from directory import entries, sync
from models import Client, IntegrityRuleError, StaffMember
from phones import InvalidPhoneNumber


@click.group()
def directory() -> None:
    """Clients, contacts, staff and the on-call order, as a TOML file."""


@directory.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def load(path: Path) -> None:
    """Load PATH; a file with any error is refused whole."""
    try:
        parsed = entries.parse(path.read_text(encoding="utf-8"))
        with helpdesk().transaction() as session:
            sync.load(session, parsed)
    except (entries.DirectoryFileError, IntegrityRuleError, InvalidPhoneNumber) as error:
        raise click.ClickException(f"{path}: {error}") from None
    except UnicodeDecodeError:
        raise click.ClickException(f"{path}: not UTF-8 text") from None
    click.echo(
        f"{path}: {len(parsed.clients)} client(s), "
        f"{sum(len(c.contacts) for c in parsed.clients)} contact(s), "
        f"{len(parsed.staff)} staff member(s) loaded"
    )


@directory.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="write to this file instead of standard output",
)
@with_appcontext
def dump(output: Path | None) -> None:
    """Write the current directory in the format ``load`` reads."""
    with helpdesk().transaction() as session:
        text = sync.dump(session)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


@directory.command("load-if-empty")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
@with_appcontext
def load_if_empty(ctx: click.Context, path: Path) -> None:
    """Load PATH only when the database has no client and no staff (first run)."""
    with helpdesk().transaction() as session:
        empty = session.scalar(select(Client.id).limit(1)) is None and (
            session.scalar(select(StaffMember.id).limit(1)) is None
        )
    if not empty:
        click.echo("directory: the database already has a directory; left as it is")
        return
    ctx.invoke(load, path=path)
