"""``flask staff set-password EMAIL`` and ``flask staff demo-passwords``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from cli import helpdesk
from helpdesk import staff_access
from models import StaffMember


@click.group()
def staff() -> None:
    """Staff sign-in to the console."""


@staff.command("set-password")
@click.argument("email")
@click.password_option(prompt="New password", confirmation_prompt="Again")
@with_appcontext
def set_password(email: str, password: str) -> None:
    """Set the console password of the staff member with EMAIL (asked twice, not shown)."""
    address = staff_access.normalize_email(email)
    with helpdesk().transaction() as session:
        person = session.scalars(
            select(StaffMember).where(func.lower(StaffMember.email) == address)
        ).first()
        if person is None:
            raise click.ClickException(f"no staff member has the email {email}")
        try:
            staff_access.set_password(session, person, password)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        name = person.name
    click.echo(f"password set for {name} <{address}>")


@staff.command("demo-passwords")
@with_appcontext
def demo_passwords() -> None:
    """On a developer's machine only: the demo staff without a password get the demo one."""
    context = helpdesk()
    if not context.settings.development:
        raise click.ClickException("demo passwords are given only with DEBUG=true")
    with context.transaction() as session:
        given = staff_access.demo_passwords(session)
    if given:
        click.echo(f"demo password {staff_access.DEMO_PASSWORD!r} given to: {', '.join(given)}")
