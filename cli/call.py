"""``flask call simulate``: place a simulated call, as Twilio would, and print what is heard."""

from __future__ import annotations

import http.client
import time
from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from cli import helpdesk, require
from helpdesk import callbacks
from models import Clock, StaffMember, Ticket
from phones import InvalidPhoneNumber, to_e164
from settings import Settings
from tools.simulator import TECH_CHOICES, Script, Simulator, Transcript, iter_inputs
from tools.transports import InProcess, OverHttp
from web import context as web_context


@click.group()
def call() -> None:
    """Simulated calls."""


@call.command()
@click.option("--url", "server", help="a running server (default: this app, in-process)")
@click.option(
    "--from",
    "caller",
    default="+15145550101",
    show_default=True,
    help="caller ID (a number, 'anonymous', …)",
)
@click.option("--to", "line", default="main", show_default=True, help="'main', 'cata' or a number")
@click.option(
    "--press",
    default="",
    help="answers to successive menus: '6', '-' (silence), "
    "'1001#', 'say:urgence', 'hangup', separated by commas",
)
@click.option(
    "--tech",
    multiple=True,
    type=click.Choice(TECH_CHOICES),
    help="what each rung technician does, in ring order (default: ring)",
)
@click.option(
    "--record-seconds",
    default="12",
    show_default=True,
    help="length of each message left, in order, separated by commas; the last one repeats "
    "(0: silence at the beep)",
)
@click.option("--reception-answers", is_flag=True, help="the office phone answers")
@click.option(
    "--at",
    "at_text",
    help="place the call at this local time, '2026-12-01 10:15' (in-process only)",
)
@click.option("--interactive", is_flag=True, help="answer each menu from the keyboard")
@with_appcontext
def simulate(
    server: str | None,
    caller: str,
    line: str,
    press: str,
    tech: tuple[str, ...],
    record_seconds: str,
    reception_answers: bool,
    at_text: str | None,
    interactive: bool,
) -> None:
    """Place a call and print its transcript."""
    require("TWILIO_AUTH_TOKEN")  # the calls are signed with it, as Twilio signs them
    settings = helpdesk().settings
    seconds = _seconds(record_seconds)
    script = Script(
        inputs=list(iter_inputs(press)),
        technicians=list(tech),
        record_seconds=seconds[-1],
        recordings=seconds[:-1],
        reception_answers=reception_answers,
        ask=_ask if interactive else None,
    )
    transport = OverHttp(server) if server else InProcess(current_app._get_current_object())  # type: ignore[attr-defined]
    # The URLs are signed as Twilio would see them: the public address when there is one.
    base = (settings.public_base_url or server or "http://localhost").rstrip("/")
    simulator = Simulator(
        transport, settings.twilio_auth_token, settings.twilio_account_sid or "AC" + "0" * 32
    )
    called = _called(settings, line)
    if at_text and server:
        raise click.UsageError(
            "--at moves the clock of this process, not the server's: place the call in-process, "
            "without --url, on the same database: "
            "make call ARGS='--at 2026-12-01T19:59 --press 6'"
        )
    if at_text:
        # The app's clock starts at that moment and runs from there, for this call alone.
        moved = helpdesk().with_clock(running_from(_local_time(at_text)))
        web_context.install(current_app, moved)
    try:
        transcript = simulator.place_call(f"{base}/voice/incoming", caller, called, script)
    except ConnectionRefusedError:
        if not server:
            raise
        raise click.ClickException(
            f"no server answers at {server}: start it with `make run`"
        ) from None
    except (OSError, http.client.HTTPException) as error:
        if not server:
            raise
        raise click.ClickException(
            f"the server at {server} failed during the call ({error!r}): see its output"
        ) from None
    finally:
        if isinstance(transport, OverHttp):
            transport.close()
    _print(transcript, caller, called, tech)


@call.command()
@click.argument("number", type=int)
@click.option("--staff", "email", required=True, help="the technician's email")
@with_appcontext
def back(number: int, email: str) -> None:
    """Call the client of ticket NUMBER back: ring the technician, then bridge to the client."""
    with helpdesk().transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).first()
        staff = session.scalars(
            select(StaffMember).where(StaffMember.email == email.lower())
        ).first()
        if ticket is None or staff is None:
            raise click.ClickException("no such ticket or staff member")
        try:
            callbacks.request_callback(session, ticket, staff)
        except callbacks.CallbackRefused as error:
            raise click.ClickException(str(error)) from None
        name = staff.name
    click.echo(f"callback of ticket {number} queued for {name}")


def _seconds(text: str) -> list[int]:
    """``--record-seconds "0,12"`` → the length of each message, in order."""
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() for part in parts):
        raise click.BadParameter(f"{text!r}: whole seconds separated by commas, e.g. 0,12")
    return [int(part) for part in parts]


def _called(settings: Settings, line: str) -> str:
    if line == "main":
        return settings.sender_number
    if line == "cata":
        if not settings.cata_numbers:
            raise click.UsageError("CATA_NUMBERS is empty: the CATA is option 7 of the main line")
        return settings.cata_numbers[0]
    try:
        return to_e164(line, field="--to")
    except InvalidPhoneNumber as error:
        raise click.BadParameter(str(error)) from None


def running_from(moment: datetime) -> Clock:
    """A clock that reads ``moment`` now and runs at the host's pace from there."""
    start = time.monotonic()
    return lambda: (moment + timedelta(seconds=time.monotonic() - start)).astimezone(UTC)


def _local_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected a time such as '2026-12-01 10:15'") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=helpdesk().hours.timezone)
    return moment


def _ask(heard: str) -> str:
    """What the caller heard since the last question, then their answer."""
    for line in heard.splitlines():
        click.echo(f"  heard: {line}")
    return str(
        click.prompt(
            "  your keys (e.g. 6, 1001#), '-' for silence, 'say:…' to speak, 'hangup'",
            default="-",
            show_default=False,
        )
    )


def _print(
    transcript: Transcript, caller: str, called: str, technicians: tuple[str, ...] = ()
) -> None:
    click.echo(f"Call {transcript.call_sid} from {caller} to {called}")
    click.echo(str(transcript))
    if technicians and "ring" not in transcript.kinds():
        click.echo(
            "(--tech was given but nobody was rung: the line was closed, or nobody is on duty "
            "with a mobile. Place the call in its hours, in-process: "
            "make call ARGS='--at 2026-12-01T10:00 --press 7 --tech accept')"
        )
