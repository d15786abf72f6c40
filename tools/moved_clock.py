"""``make test-moved-clock``: the whole test suite with the system clock moved, to find any test
(or code) that depends on today's date or hour.

The clock is moved with Debian's libfaketime (``faketime``), for this process and every process
it starts, to a Montreal moment chosen anew each run among the hard ones of the coming years (a
weekday in business hours, a Sunday evening, the nights of both daylight-saving changes,
December 31 at 23:59, a Quebec holiday, a Friday just before closing) or any minute of the next
three years. ``AT='2027-03-14 01:59'`` chooses it (Montreal time); the line printed first says
how to run the same moment again. PostgreSQL's clock does not move: code that mixes the app's
clock and the database's ``now()`` fails here, as it would where hosts and database disagree.
"""

from __future__ import annotations

import glob
import os
import random
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays

ROOT = Path(__file__).resolve().parent.parent
MONTREAL = ZoneInfo("America/Toronto")
SITE = ROOT / "tools" / "faketime_site"


def hard_moments(year: int) -> list[tuple[str, datetime]]:
    """The moments of ``year`` (Montreal time) where a date bug shows, each with its name."""
    chance = random.SystemRandom()
    quebec = holidays.country_holidays("CA", subdiv="QC", years=year)
    workdays = [
        day
        for day in _days(year)
        if day.weekday() in (1, 2, 3) and day not in quebec  # Tuesday to Thursday
    ]
    holiday, name = chance.choice(sorted(quebec.items()))
    fridays = [day for day in _days(year) if day.weekday() == 4 and day not in quebec]
    sundays = [day for day in _days(year) if day.weekday() == 6]
    return [
        ("a weekday in business hours", _at(chance.choice(workdays), 10, 30)),
        ("a Sunday evening", _at(chance.choice(sundays), 20, 0)),
        ("the night daylight-saving time begins", _at(_nth_sunday(year, 3, 2), 1, 59)),
        ("the night daylight-saving time ends", _at(_nth_sunday(year, 11, 1), 1, 59)),
        ("December 31 at 23:59", _at(date(year, 12, 31), 23, 59)),
        (f"a Quebec holiday ({name})", _at(holiday, 10, 0)),
        ("a Friday just before closing", _at(chance.choice(fridays), 16, 58)),
    ]


def _days(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


def _nth_sunday(year: int, month: int, nth: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (nth - 1))


def _at(day: date, hour: int, minute: int) -> datetime:
    # fold=0: in the repeated hour of November, the first pass (still daylight-saving time).
    return datetime.combine(day, time(hour, minute), MONTREAL)


def choose(at_text: str, now: datetime) -> tuple[str, datetime]:
    """The moment to move to: the one asked for, or one chosen anew."""
    if at_text:
        return "as asked", datetime.fromisoformat(at_text).replace(tzinfo=MONTREAL)
    chance = random.SystemRandom()
    if chance.random() < 0.25:
        minutes = chance.randrange(3 * 365 * 24 * 60)
        return "any minute", (now + timedelta(minutes=minutes)).astimezone(MONTREAL)
    year = now.astimezone(MONTREAL).year + chance.choice((1, 2))
    return chance.choice(hard_moments(year))


def command(moment: datetime, pytest_args: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """The suite's command, and the environment that moves its clock."""
    library = _libfaketime()
    # An offset, not a start: every process the suite starts (a worker, a command) then reads the
    # same moved clock, where "@start" would start each one's clock anew at its own launch. And
    # libfaketime preloaded directly, not through the `faketime` command: that one shares a
    # semaphore between processes, which a fork can copy held (a worker's work horse then hangs).
    offset = round((moment - datetime.now(UTC)).total_seconds())
    path = os.pathsep.join(filter(None, [str(SITE), os.environ.get("PYTHONPATH", "")]))
    env = {
        **os.environ,
        "LD_PRELOAD": " ".join(filter(None, [library, os.environ.get("LD_PRELOAD", "")])),
        "FAKETIME": f"{offset:+d}",
        "DONT_FAKE_MONOTONIC": "1",  # waits and timeouts keep the real monotonic clock
        "PYTHONPATH": path,  # time.sleep under libfaketime: tools/faketime_site
    }
    pytest = str(Path(sys.executable).parent / "pytest")
    return [pytest, *pytest_args], env


def _libfaketime() -> str:
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    found += sorted(glob.glob("/usr/lib/faketime/libfaketime.so.1"))
    if not found:
        raise SystemExit("make test-moved-clock: libfaketime is missing (apt-get install faketime)")
    return found[0]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    what, moment = choose(os.environ.get("AT", ""), datetime.now(UTC))
    local = moment.strftime("%Y-%m-%d %H:%M")
    print(
        f"make test-moved-clock: the suite at {local} in Montreal ({what}; "
        f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC). "
        f"Again: make test-moved-clock AT='{local}'",
        flush=True,
    )
    argv_, env = command(moment, args)
    os.chdir(ROOT)
    os.execve(argv_[0], argv_, env)


if __name__ == "__main__":
    sys.exit(main())
