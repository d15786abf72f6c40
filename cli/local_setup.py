"""What ``make run`` does before it starts anything: the database at the newest schema, the demo
directory in an empty database, the demo staff's password. In ``make run``'s own process, so a
second ``make run`` is ready in seconds, not after three commands that each load the app."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

import settings
from directory import entries, sync
from helpdesk import context as helpdesk_context
from helpdesk import staff_access
from migrations import alembic_config
from models import Client, StaffMember
from models.db import make_engine


def prepare(config: settings.Settings, demo_directory: Path) -> list[str]:
    """Do it, and say what was done, a line each."""
    lines = [_upgrade(config.database_url)]
    context = helpdesk_context.build(config)
    try:
        lines += _directory(context, demo_directory)
    finally:
        context.close()  # make run's own process keeps no connection while the others run
    return lines


def _directory(context: helpdesk_context.Context, demo_directory: Path) -> list[str]:
    lines = []
    config = context.settings
    with context.transaction() as session:
        empty = session.scalar(select(Client.id).limit(1)) is None and (
            session.scalar(select(StaffMember.id).limit(1)) is None
        )
        if empty:
            parsed = entries.parse(demo_directory.read_text(encoding="utf-8"))
            sync.load(session, parsed)
            lines.append(
                f"directory: the database was empty; {demo_directory.name} loaded "
                f"({len(parsed.clients)} clients, {len(parsed.staff)} staff)"
            )
        if config.development:
            given = staff_access.demo_passwords(session)
            if given:
                lines.append(f"demo password given to: {', '.join(given)}")
    return lines


def _upgrade(url: str) -> str:
    before = _revision(url)
    command.upgrade(alembic_config(url), "head")
    after = _revision(url)
    if before == after:
        return f"database: at revision {after}"
    return f"database: upgraded from revision {before or '(empty)'} to {after}"


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
