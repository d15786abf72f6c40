"""The dashboard's stored hours: a settled hour's calls are counted once and kept, and whatever
changes a call of a stored hour later (a late status callback, a spooled webhook replayed, a
correction) makes the dashboard count that hour again: its figures are always the live count's."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import time_machine
from flask import Flask
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from app import create_app
from console import stats
from helpdesk import calllog, replay
from models import CallHour, CallHourCount, CallOutcome
from models.db import make_session_factory
from tests.conftest import app_config
from tests.counting import statements
from tests.phone import MAIN, MARIE, MONTREAL, at, call_by_sid, helpdesk, place_call, signed_post

WEEK = stats.Period(date(2026, 11, 30), date(2026, 12, 6))
LATER = at(2026, 12, 3, 9, 30)  # two days after Tuesday's calls: their hours are settled
TUESDAY_10 = datetime(2026, 12, 1, 15, tzinfo=UTC)  # 10:00 in Montreal
SID = "CA" + "4" * 32
HUNG_UP = {"CallSid": SID, "From": MARIE, "To": MAIN}
NOWHERE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"  # the database down


def _dashboard(db: Session, now: datetime) -> stats.CallTally:
    """The calls of the week as the dashboard counts them at ``now`` (storing settled hours)."""
    start, end = WEEK.bounds(MONTREAL)
    with time_machine.travel(now, tick=False):
        tally = stats.call_counts(db, start, end, MONTREAL, now)
        db.commit()
    return tally


def _live(db: Session) -> stats.CallTally:
    """Every call of the week counted one by one: nothing is settled before the week begins."""
    start, end = WEEK.bounds(MONTREAL)
    return stats.call_counts(db, start, end, MONTREAL, start)


def _stored(db: Session) -> set[datetime]:
    db.expire_all()
    return set(db.scalars(select(CallHour.hour)))


def _hang_up_before_the_status(app: Flask) -> None:
    """A caller who hangs up in the menu; Twilio's status callback has not come yet."""
    with time_machine.travel(TUESDAY_10, tick=False):
        signed_post(app, "/voice/incoming", HUNG_UP)
        signed_post(app, "/voice/regular", HUNG_UP)


def test_the_settled_hours_are_counted_once_and_kept(phone_app: Flask, db: Session) -> None:
    place_call(phone_app, at(2026, 12, 1, 10), press="6")
    place_call(phone_app, at(2026, 12, 1, 10, 5), press="7", techs=("accept",))
    assert _dashboard(db, LATER) == _live(db)
    # From Monday 0:00 (5:00 UTC) to six hours before the hour of LATER (14:00 UTC): 75 hours
    assert len(_stored(db)) == 75
    counts = db.scalars(select(CallHourCount).where(CallHourCount.hour == TUESDAY_10)).all()
    assert sorted((c.outcome, c.calls) for c in counts) == [("connected", 1), ("message", 1)]
    with statements(db.get_bind()) as seen:
        assert _dashboard(db, LATER) == _live(db)
    assert not any("INSERT" in s for s in seen)


def test_a_late_status_callback_makes_its_hour_counted_again(phone_app: Flask, db: Session) -> None:
    _hang_up_before_the_status(phone_app)
    assert _dashboard(db, LATER).outcomes[None] == 1
    assert TUESDAY_10 in _stored(db)
    with time_machine.travel(LATER, tick=False):
        signed_post(phone_app, "/voice/status", {**HUNG_UP, "CallStatus": "completed"})
    assert call_by_sid(db, SID).outcome == CallOutcome.ABANDONED
    assert TUESDAY_10 not in _stored(db)
    figures = _dashboard(db, LATER)
    assert (figures.outcomes[None], figures.outcomes[CallOutcome.ABANDONED]) == (0, 1)
    assert figures == _live(db)


def test_a_spooled_status_replayed_hours_later_makes_its_hour_counted_again(
    phone_app: Flask, db: Session, engine_url: str, tmp_path: Path
) -> None:
    _hang_up_before_the_status(phone_app)
    down = create_app(app_config(NOWHERE, SPOOL_DIR=str(tmp_path)))
    with time_machine.travel(at(2026, 12, 1, 10, 2), tick=False):
        signed_post(down, "/voice/status", {**HUNG_UP, "CallStatus": "completed"})
    assert _dashboard(db, LATER).outcomes[None] == 1
    back = create_app(app_config(engine_url, SPOOL_DIR=str(tmp_path)))
    with time_machine.travel(LATER, tick=False):
        assert replay.replay_spool(helpdesk(back)) == 1
    assert TUESDAY_10 not in _stored(db)
    figures = _dashboard(db, LATER)
    assert figures.outcomes[CallOutcome.ABANDONED] == 1
    assert figures == _live(db)


def test_a_corrected_start_makes_both_its_hours_counted_again(
    phone_app: Flask, db: Session
) -> None:
    transcript = place_call(phone_app, at(2026, 12, 1, 10), press="6")
    _dashboard(db, LATER)
    wednesday_10 = datetime(2026, 12, 2, 15, tzinfo=UTC)
    with time_machine.travel(LATER, tick=False):
        call_by_sid(db, transcript.call_sid).started_at = wednesday_10
        db.commit()
    assert {TUESDAY_10, wednesday_10} & _stored(db) == set()
    figures = _dashboard(db, LATER)
    assert figures.days[date(2026, 12, 1)] == 0
    assert figures.days[date(2026, 12, 2)] == 1
    assert figures == _live(db)


def test_a_live_calls_webhooks_never_touch_the_stored_hours(phone_app: Flask, db: Session) -> None:
    place_call(phone_app, at(2026, 12, 1, 10), press="6")
    _dashboard(db, LATER)
    with statements(db.get_bind()) as seen:
        place_call(phone_app, LATER, press="6", record_seconds=40)
    assert seen
    assert not any("call_hour" in s for s in seen)


def test_a_call_simulated_in_the_past_makes_its_hour_counted_again(
    phone_app: Flask, db: Session, engine: Engine
) -> None:
    _dashboard(db, LATER)
    back_then = make_session_factory(engine, clock=lambda: TUESDAY_10)
    with time_machine.travel(LATER, tick=False), back_then.begin() as session:
        calllog.find_or_start(session, SID)  # what ``flask call simulate --at`` runs first
    assert TUESDAY_10 not in _stored(db)
    assert _dashboard(db, LATER) == _live(db)


def test_an_hour_forgotten_while_the_dashboard_reads_is_counted_again(
    phone_app: Flask, db: Session, sessions: sessionmaker[Session]
) -> None:
    _hang_up_before_the_status(phone_app)
    _dashboard(db, LATER)  # every settled hour of the week stored
    done: list[bool] = []

    def late_change_first(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        """The status callback lands just before the dashboard reads the stored counts."""
        if "call_hour_count" in statement and not done:
            done.append(True)
            with time_machine.travel(LATER, tick=False), sessions.begin() as other:
                call_by_sid(other, SID).outcome = CallOutcome.ABANDONED

    event.listen(Engine, "before_cursor_execute", late_change_first)
    try:
        figures = _dashboard(db, LATER)
    finally:
        event.remove(Engine, "before_cursor_execute", late_change_first)
    assert done
    assert (figures.outcomes[None], figures.outcomes[CallOutcome.ABANDONED]) == (0, 1)
    assert figures == _live(db)
