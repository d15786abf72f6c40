"""``flask twilio wire``: point the account's numbers at this deployment, through Twilio's REST
API, so that no URL of the console's settings is ever typed by hand."""

from __future__ import annotations

from dataclasses import dataclass

import click
import requests
from flask.cli import with_appcontext
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import HttpClient
from twilio.http.response import Response
from urllib3.exceptions import NameResolutionError

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
    """Each field as this deployment wants it: PUBLIC_BASE_URL and the app's route, called with
    POST (a number Twilio calls with GET gets the app's 405)."""
    base = settings.public_base_url.rstrip("/")
    urls = {field: base + route for field, route in ROUTES.items()}
    return {**urls, **{rest.NUMBER_FIELDS[field]: "POST" for field in urls}}


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
    CATA_NUMBERS, the pages' sender) to PUBLIC_BASE_URL's routes, each called with POST; a
    number already wired is left alone."""
    require("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL")
    context = helpdesk()
    settings = context.settings
    if not (settings.public_base_url and rest.has_credentials(settings)):
        raise click.UsageError("needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL")
    wiring = Wiring(settings, context.twilio_http, dry_run)
    try:
        for number in numbers(settings):
            wiring.wire(number)
    except FAILURES as error:
        # One line, not the HTTP library's traceback: what failed, why, and what was done.
        raise click.ClickException(f"{failure(error)}; {wiring.done()}") from None
    if dry_run:
        click.echo("dry run: nothing changed")
    if wiring.missing:
        raise click.exceptions.Exit(1)


@dataclass
class Wiring:
    """One run of ``wire``: the numbers it changed, and those the account does not have."""

    settings: Settings
    http: HttpClient | None
    dry_run: bool
    changed: int = 0
    missing: int = 0

    def wire(self, number: str) -> None:
        current = rest.find_number(self.settings, self.http, number)
        if current is None:
            click.echo(f"{number}: not a number of this Twilio account", err=True)
            self.missing += 1
            return
        changes = {f: value for f, value in wanted(self.settings).items() if current[f] != value}
        if not changes:
            click.echo(f"{number}: already wired")
            return
        for field, value in changes.items():
            click.echo(f"{number}: {field} {current[field] or '(none)'} -> {value}")
        if not self.dry_run:
            rest.wire_number(self.settings, self.http, current["sid"], changes)
            self.changed += 1

    def done(self) -> str:
        if self.changed == 0:
            return "nothing changed"
        return f"{self.changed} number(s) rewired before it; run it again"


# What fails a talk with Twilio's API: its own refusals, and the network's failures.
FAILURES = (TwilioException, requests.RequestException)

# Why the network failed, in a few words, most particular first (requests wraps urllib3's).
UNREACHABLE: tuple[tuple[type[Exception], str], ...] = (
    (NameResolutionError, "its name could not be resolved (no network, or no DNS?)"),
    (requests.exceptions.SSLError, "its certificate could not be checked"),
    (requests.exceptions.Timeout, "it did not answer in time"),
    (requests.exceptions.ConnectionError, "no connection could be made"),
)


def failure(error: Exception) -> str:
    """What went wrong with Twilio, in one line."""
    status = _status(error)
    if status in (401, 403):
        return (
            f"Twilio refused the credentials ({status}): check TWILIO_ACCOUNT_SID and "
            "TWILIO_AUTH_TOKEN"
        )
    if status is not None:
        return f"Twilio refused the request ({status})"
    causes = _causes(error)
    for kind, why in UNREACHABLE:
        if any(isinstance(cause, kind) for cause in causes):
            return f"Twilio could not be reached: {why}"
    return f"Twilio could not be reached: {type(error).__name__}"


def _status(error: Exception) -> int | None:
    """The HTTP status Twilio answered with: a change refused raises TwilioRestException, a
    list refused a TwilioException that carries Twilio's response."""
    if isinstance(error, TwilioRestException):
        return int(error.status)
    answers = [a for a in error.args if isinstance(a, Response)]
    return int(answers[0].status_code) if answers else None


def _causes(error: BaseException) -> list[BaseException]:
    """The error and those it wraps: requests keeps urllib3's in its arguments, and urllib3's
    retries keep the last failure as their ``reason``."""
    chain = [error]
    while len(chain) < 10:
        last = chain[-1]
        inner = getattr(last, "reason", None) or (last.args[0] if last.args else None)
        if not isinstance(inner, BaseException):
            break
        chain.append(inner)
    return chain
