"""``flask twilio wire``: point the account's numbers at this deployment, through Twilio's REST
API, so that no URL of the console's settings is ever typed by hand."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from cli import helpdesk, require
from settings import Settings
from telephony import rest

# The app's routes for each of Twilio's fields (ivr/entry.py, pager/door.py).
ROUTES = {
    "voice_url": "/voice/incoming",
    "voice_fallback_url": "/voice/fallback",
    "status_callback": "/voice/status",
    "sms_url": "/sms/incoming",
}


@click.group()
def twilio() -> None:
    """The Twilio account's phone numbers."""


def wanted(settings: Settings) -> dict[str, str]:
    """Each field as this deployment wants it: PUBLIC_BASE_URL and the app's route."""
    base = settings.public_base_url.rstrip("/")
    return {field: base + route for field, route in ROUTES.items()}


def numbers(settings: Settings) -> list[str]:
    """The main and CATA numbers and the pages' sender, each once, in that order."""
    return list(
        dict.fromkeys((*settings.main_numbers, *settings.cata_numbers, settings.sender_number))
    )


@twilio.command("wire")
@click.option("--dry-run", is_flag=True, help="say what would change, change nothing")
@with_appcontext
def wire(dry_run: bool) -> None:
    """Set each number's voice URL, fallback URL, status callback and SMS URL (MAIN_NUMBERS,
    CATA_NUMBERS, the pages' sender) to PUBLIC_BASE_URL's routes; a number already wired is
    left alone."""
    require("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL")
    context = helpdesk()
    settings = context.settings
    if not (settings.public_base_url and rest.has_credentials(settings)):
        raise click.UsageError("needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL")
    target = wanted(settings)
    missing = 0
    for number in numbers(settings):
        current = rest.find_number(settings, context.twilio_http, number)
        if current is None:
            click.echo(f"{number}: not a number of this Twilio account", err=True)
            missing += 1
            continue
        changes = {f: url for f, url in target.items() if current[f] != url}
        if not changes:
            click.echo(f"{number}: already wired")
            continue
        for field, url in changes.items():
            click.echo(f"{number}: {field} {current[field] or '(none)'} -> {url}")
        if not dry_run:
            rest.wire_number(settings, context.twilio_http, current["sid"], changes)
    if dry_run:
        click.echo("dry run: nothing changed")
    if missing:
        raise click.exceptions.Exit(1)
