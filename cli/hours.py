"""``flask hours``: ask the business-time clock what the phone line would answer."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from cli import helpdesk
from helpdesk import business_time
from helpdesk.context import Context
from routing import sla
from routing.config import BusinessHours


def _parse_at(text: str | None, hours: BusinessHours) -> datetime:
    if text is None:
        return helpdesk().now()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected a time such as '2026-12-01 10:15'") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=hours.timezone)


def _context() -> tuple[BusinessHours, Context]:
    context = helpdesk()
    return context.hours, context


def _local(moment: datetime | None, hours: BusinessHours) -> str:
    return (
        "-" if moment is None else moment.astimezone(hours.timezone).strftime("%a %Y-%m-%d %H:%M")
    )


@click.group()
def hours() -> None:
    """Schedules, holidays and the SLA clock."""


@hours.command()
@click.option("--at", "at_text", help="local time, e.g. '2026-12-01 10:15' (default: now)")
@with_appcontext
def status(at_text: str | None) -> None:
    """Open or closed, why, and until when, for every schedule."""
    hours_, context = _context()
    moment = _parse_at(at_text, hours_)
    with context.transaction() as session:
        for name in sorted(hours_.schedules):
            found = business_time.calendar_for(session, hours_, name, moment).status(moment)
            state = "open" if found.is_open else "closed"
            why = ""
            if found.reason is not None:
                holiday = f": {found.holiday.name('en')}" if found.holiday else ""
                why = f" ({found.reason.value}{holiday})"
            until = found.closes_at if found.is_open else found.opens_at
            verb = "closes" if found.is_open else "opens"
            click.echo(f"{name:10} {state}{why}, {verb} {_local(until, hours_)}")


@hours.command()
@click.argument("line", type=click.Choice(["regular", "urgent"]))
@click.option("--at", "at_text", help="when the request came in (default: now)")
@with_appcontext
def deadline(line: str, at_text: str | None) -> None:
    """The callback deadline of a request on LINE."""
    hours_, context = _context()
    moment = _parse_at(at_text, hours_)
    rule = hours_.line(line)
    with context.transaction() as session:
        calendar = business_time.calendar_for(session, hours_, rule.schedule, moment)
    click.echo(_local(sla.deadline(calendar, moment, rule.callback_within), hours_))
