"""Closures, overrides and the on-call order stored in the database reach the clock."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from redis import Redis
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from directory import entries, sync
from helpdesk import business_time
from models import Closure, Duty, OverrideState, ScheduleOverride, StaffMember
from routing import config, sla
from routing.calendar import Reason
from tests.conftest import DEMO_DIRECTORY

MONTREAL = ZoneInfo("America/Toronto")
HOURS = config.load()


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MONTREAL)


def test_a_stored_closure_moves_the_deadline(db: Session) -> None:
    db.add(Closure(day=date(2026, 12, 24), from_time=time(12), reason="Veille de Noël"))
    db.commit()
    calendar = business_time.calendar_for(db, HOURS, "regular", at(2026, 12, 24, 10))
    due = sla.deadline(calendar, at(2026, 12, 24, 10), HOURS.line("regular").callback_within)
    assert due.astimezone(MONTREAL) == at(2026, 12, 28, 10, 30)


def test_a_stored_override_applies_to_its_schedule_only(db: Session) -> None:
    db.add(
        ScheduleOverride(
            schedule="cata",
            state=OverrideState.CLOSED,
            starts_at=at(2026, 12, 1, 9),
            ends_at=at(2026, 12, 1, 11),
        )
    )
    db.commit()
    cata = business_time.calendar_for(db, HOURS, "cata", at(2026, 12, 1, 10))
    regular = business_time.calendar_for(db, HOURS, "regular", at(2026, 12, 1, 10))
    assert cata.status(at(2026, 12, 1, 10)).reason == Reason.MANUAL
    assert regular.status(at(2026, 12, 1, 10)).is_open


def test_an_override_for_every_schedule_closes_them_all(db: Session) -> None:
    db.add(
        ScheduleOverride(
            schedule="*",
            state=OverrideState.CLOSED,
            starts_at=at(2026, 12, 1, 9),
            ends_at=at(2026, 12, 1, 11),
        )
    )
    db.commit()
    for name in ("office", "regular", "cata"):
        calendar = business_time.calendar_for(db, HOURS, name, at(2026, 12, 1, 10))
        assert not calendar.status(at(2026, 12, 1, 10)).is_open


def test_the_stored_on_call_order_gives_who_is_rung(db: Session) -> None:
    sync.load(db, entries.parse(DEMO_DIRECTORY.read_text()))
    db.commit()
    urgent = business_time.on_duty(db, HOURS, "urgent", at(2026, 12, 1, 10))
    regular = business_time.on_duty(db, HOURS, "regular", at(2026, 12, 1, 10))
    assert [p.name for p in urgent] == ["Luc Gagnon", "Sophie Lavoie", "Karim Haddad"]
    assert [p.name for p in regular] == ["Luc Gagnon", "Sophie Lavoie"]


def test_health_reports_staffed_lines(client: FlaskClient, db: Session, redis: Redis) -> None:
    sync.load(db, entries.parse(DEMO_DIRECTORY.read_text()))
    db.commit()
    lines = client.get("/healthz").get_json()["lines"]
    assert lines == {
        "regular": {"staffed": True, "on_duty": 2, "reachable": 2, "unreachable": 0, "needed": 2},
        "urgent": {"staffed": True, "on_duty": 3, "reachable": 3, "unreachable": 0, "needed": 3},
    }


def test_health_reports_on_duty_staff_nobody_can_ring_or_page(
    client: FlaskClient, db: Session, redis: Redis
) -> None:
    sync.load(db, entries.parse(DEMO_DIRECTORY.read_text()))
    luc = db.scalars(select(StaffMember).where(StaffMember.name == "Luc Gagnon")).one()
    luc.mobile = None  # edited in the database, past the directory file's check
    db.commit()
    lines = client.get("/healthz").get_json()["lines"]
    assert (lines["urgent"]["reachable"], lines["urgent"]["unreachable"]) == (2, 1)


@pytest.mark.usefixtures("back_office_alive")
def test_health_reports_an_unstaffed_line(client: FlaskClient, db: Session, redis: Redis) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200  # messages are still taken
    assert response.get_json()["lines"]["urgent"] == {
        "staffed": False,
        "on_duty": 0,
        "reachable": 0,
        "unreachable": 0,
        "needed": 3,
    }


def test_supervisors_fill_in_for_an_empty_line(client: FlaskClient, db: Session) -> None:
    sync.load(db, entries.parse(DEMO_DIRECTORY.read_text()))
    db.execute(delete(Duty))
    db.commit()
    people = business_time.on_duty(db, HOURS, "urgent", at(2026, 12, 1, 10))
    assert [p.role for p in people] == ["supervisor", "supervisor"]


def test_the_hours_command_says_why_the_line_is_closed(cli: FlaskCliRunner, db: Session) -> None:
    result = cli.invoke(args=["hours", "status", "--at", "2026-06-24 10:00"])
    assert result.exit_code == 0, result.output
    assert "cata       closed (holiday: Quebec's Fête nationale), opens Thu 2026-06-25 07:00" in (
        result.output
    )


def test_the_hours_command_gives_a_deadline(cli: FlaskCliRunner, db: Session) -> None:
    result = cli.invoke(args=["hours", "deadline", "regular", "--at", "2027-03-12 16:00"])
    assert result.output.strip() == "Mon 2027-03-15 11:30"
