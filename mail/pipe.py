"""The MTA's door, ``flask email ingest``: one email on stdin, as the mail server hands it over."""

from __future__ import annotations

import logging
import sys

import click
from flask.cli import with_appcontext

import settings
from mail import intake
from web.context import current as helpdesk

log = logging.getLogger(__name__)

# sysexits.h: the MTA keeps the message and delivers it again later.
EX_TEMPFAIL = 75
# sysexits.h: the MTA gives up and bounces the message to its sender.
EX_UNAVAILABLE = 69


@click.group()
def email() -> None:
    """Incoming support email."""


@email.command()
@with_appcontext
def ingest() -> None:
    """Store one email read on stdin (an MTA pipe, e.g. Postfix's pipe(8) or an alias).

    Exit 0 once it is stored, whatever it turned out to be (a ticket, a reply, automatic mail,
    bytes in quarantine); exit 75 (EX_TEMPFAIL) when it cannot be stored now, so that the mail
    server keeps it and tries again.
    """
    try:  # they decide the line
        settings.require(helpdesk().settings, ("SUPPORT_EMAIL_REGULAR", "SUPPORT_EMAIL_URGENT"))
    except settings.ConfigError as error:
        raise click.UsageError(str(error)) from None
    limit = helpdesk().settings.mail_accept_max_bytes
    raw = sys.stdin.buffer.read(limit + 1)
    if len(raw) > limit:
        # The mail server bounces it to the sender, who learns it was too big to take.
        click.echo(f"email refused: bigger than MAIL_ACCEPT_MAX_BYTES ({limit} bytes)", err=True)
        sys.exit(EX_UNAVAILABLE)
    try:
        stored = intake.receive(helpdesk(), raw, source="pipe")
    except Exception as error:  # the database is away, or worse: never lose the message
        log.error("email not stored (%s); the mail server will try again", type(error).__name__)
        click.echo(f"email not stored, try again later: {type(error).__name__}", err=True)
        sys.exit(EX_TEMPFAIL)
    number = f" ticket {stored.ticket_number}" if stored.ticket_number else ""
    click.echo(f"stored: {stored.outcome.value}{number}")
