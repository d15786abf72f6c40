"""The supervisors' acts as helpdesk services, where the console cannot reach an edge."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import closures, directory_admin, roster
from helpdesk.directory_admin import StaffFields
from models import Duty, Language, Line, OverrideState, Role, ScheduleOverride, StaffMember
from refusals import Refused
from routing import config

MONTREAL = ZoneInfo("America/Toronto")
HOURS = config.load()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=MONTREAL)


def test_a_switch_that_has_not_begun_is_removed_when_ended(db: Session) -> None:
    db.add(
        ScheduleOverride(
            schedule="cata", state=OverrideState.CLOSED, starts_at=at(2, 9), ends_at=at(2, 11)
        )
    )
    db.flush()
    switch_id = db.scalars(select(ScheduleOverride.id)).one()
    closures.end_override(db, switch_id, now=at(1, 10))
    db.flush()
    assert db.scalars(select(ScheduleOverride)).all() == []


def test_a_switch_for_an_unknown_schedule_is_refused(db: Session) -> None:
    with pytest.raises(Refused) as refused:
        closures.set_override(
            db,
            HOURS,
            schedule="cafeteria",
            is_open=False,
            now=at(1, 10),
            ends_at=at(1, 11),
            reason="",
            staff_member_id=None,
        )
    assert (refused.value.key, str(refused.value)) == (
        "unknown_schedule",
        "unknown schedule cafeteria",
    )


def test_nobody_may_be_listed_twice_in_a_standing_order(db: Session) -> None:
    member = StaffMember(name="Luc Gagnon", email="luc@altilogix.example", mobile="5145550171")
    db.add(member)
    db.flush()
    with pytest.raises(Refused) as refused:
        roster.set_standing_order(db, Line.URGENT, [member.id, member.id])
    assert refused.value.key == "listed_twice"
    assert db.scalars(select(Duty)).all() == []


def test_a_technician_whose_rotations_are_over_may_lose_their_mobile(db: Session) -> None:
    member = StaffMember(name="Julie Côté", email="julie@altilogix.example", mobile="4385550174")
    db.add(member)
    db.flush()
    db.add(Duty(line=Line.URGENT, staff_member_id=member.id, starts_at=at(1, 8), ends_at=at(2, 8)))
    fields = StaffFields(
        name="Julie Côté",
        email="julie@altilogix.example",
        mobile="",
        role=Role.TECHNICIAN,
        language=Language.FR,
        active=True,
    )
    with time_machine.travel(at(3, 9), tick=False):
        directory_admin.save_staff(db, member.id, fields)
    assert member.mobile is None
