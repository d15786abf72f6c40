"""The supervisors' dashboard: its figures, exact, from a fixed number of queries."""

from __future__ import annotations

import json
import re
from datetime import date, datetime

import pytest
import time_machine
from flask import Flask
from sqlalchemy import update
from sqlalchemy.orm import Session

from console import stats
from models import Ticket
from tests.console_world import DAVID, HELENE, LUC, Staff, give_passwords
from tests.counting import statements
from tests.phone import MONTREAL, STRANGER, at, place_call

WEEK = stats.Period(date(2026, 11, 30), date(2026, 12, 6))  # Monday to Sunday
TUESDAY, WEDNESDAY, THURSDAY = 1, 2, 3


def _reached(db: Session, number: int, when: datetime) -> None:
    db.execute(update(Ticket).where(Ticket.number == number).values(first_response_at=when))
    db.commit()


@pytest.fixture
def week(phone_app: Flask, db: Session) -> Flask:
    """Five inbound calls of one week, and who reached the clients of their tickets when."""
    place_call(phone_app, at(2026, 12, 1, 10), press="6")  # 1001 regular, message, due 14:00
    place_call(phone_app, at(2026, 12, 1, 10, 5), press="7", techs=("accept",))  # 1002 answered
    place_call(phone_app, at(2026, 12, 1, 20, 30), press="6")  # 1003 after hours, due 12:30
    place_call(phone_app, at(2026, 12, 2, 9), press="hangup")  # abandoned, no ticket
    place_call(phone_app, at(2026, 12, 3, 9), press="7", techs=("ring",) * 3)  # 1004, due 10:00
    _reached(db, 1001, at(2026, 12, 1, 11, 30))  # kept, after 1 h 30
    _reached(db, 1003, at(2026, 12, 2, 13))  # missed, after 16 h 30
    return phone_app


def test_the_dashboards_figures(week: Flask, db: Session) -> None:
    board = stats.dashboard(db, WEEK, MONTREAL, at(2026, 12, 3, 9, 30))
    assert board.per_day == [
        (date(2026, 11, 30), 0),
        (date(2026, 12, 1), 3),
        (date(2026, 12, 2), 1),
        (date(2026, 12, 3), 1),
        (date(2026, 12, 4), 0),
        (date(2026, 12, 5), 0),
        (date(2026, 12, 6), 0),
    ]
    busy = {
        (day, hour): n
        for day, hours in enumerate(board.per_hour)
        for hour, n in enumerate(hours)
        if n
    }
    assert busy == {(TUESDAY, 10): 2, (TUESDAY, 20): 1, (WEDNESDAY, 9): 1, (THURSDAY, 9): 1}
    assert board.outcomes == {
        "answered": 1,
        "message": 2,
        "unauthorized": 0,
        "after_hours": 1,
        "abandoned": 1,
        "other": 0,
    }
    assert board.weeks == [date(2026, 11, 30)]
    assert board.promises == {
        "regular": [stats.Promises(kept=1, missed=1, pending=0)],
        "urgent": [stats.Promises(kept=1, missed=0, pending=1)],  # 1004's hour is not over
    }
    assert [p.percent_kept for p in board.promises["regular"]] == [50]
    # < 15 min, 15-30, 30-60, 1-2 h, 2-4 h, 4-8 h, ≥ 8 h
    assert board.responses == {"regular": [0, 0, 0, 1, 0, 0, 1], "urgent": [1, 0, 0, 0, 0, 0, 0]}


def test_a_message_from_somebody_not_authorized_is_counted_apart(
    phone_app: Flask, db: Session
) -> None:
    place_call(phone_app, at(2026, 12, 1, 10), caller="anonymous", press="-,6,1001#")
    board = stats.dashboard(db, WEEK, MONTREAL, at(2026, 12, 3, 9, 30))
    assert (board.outcomes["unauthorized"], board.outcomes["message"]) == (1, 0)


def test_a_strangers_message_at_the_general_voicemail_is_counted_as_not_authorized(
    phone_app: Flask, db: Session
) -> None:
    place_call(phone_app, at(2026, 12, 1, 10), caller=STRANGER, press="-,-,-,-")
    board = stats.dashboard(db, WEEK, MONTREAL, at(2026, 12, 3, 9, 30))
    assert (board.outcomes["unauthorized"], board.outcomes["message"]) == (1, 0)


def test_a_period_is_read_in_montreal_days_and_kept_within_a_year() -> None:
    today = date(2026, 12, 4)
    assert stats.read_period({}, today) == stats.Period(date(2026, 11, 7), today)
    asked = {"from": "2026-12-06", "to": "2026-11-30"}
    assert stats.read_period(asked, today) == WEEK  # given the wrong way round
    assert stats.read_period({"from": "2020-01-01", "to": "2026-12-04"}, today) == stats.Period(
        date(2025, 12, 4), today
    )
    assert stats.read_period({"from": "nonsense"}, today).first == date(2026, 11, 7)


def _charts(page: str) -> dict[str, dict[str, object]]:
    found = re.findall(
        r"<section class=\"card chart-card\" id=\"([\w-]+)\">.*?data-chart='([^']*)'", page, re.S
    )
    return {name: json.loads(chart.replace("&#34;", '"')) for name, chart in found}


def test_supervisors_see_charts_with_their_figures_in_tables(week: Flask, db: Session) -> None:
    give_passwords(db)
    helene, luc = Staff(week), Staff(week)
    helene.sign_in(HELENE)
    luc.sign_in(LUC)
    assert luc.get("/console/dashboard/").status_code == 403
    page = helene.text("/console/dashboard/?from=2026-11-30&to=2026-12-06")
    charts = _charts(page)
    assert list(charts) == ["per-day", "outcomes", "promises", "responses"]
    assert charts["per-day"]["datasets"] == [
        {"label": "Appels reçus", "data": [0, 3, 1, 1, 0, 0, 0]}
    ]
    assert charts["outcomes"]["labels"] == [
        "répondu",
        "message laissé",
        "non autorisé",
        "hors des heures",
        "abandonné",
        "autre",
    ]
    assert '<tr><td>mar. 1 déc. 2026</td><td class="number">3</td></tr>' in page
    assert '<tr><td>répondu</td><td class="number">1</td></tr>' in page
    assert page.count("<canvas ") == 4


def test_the_share_of_promises_kept_reads_as_a_percentage_in_each_language(
    week: Flask, db: Session
) -> None:
    give_passwords(db)
    helene, david = Staff(week), Staff(week)
    helene.sign_in(HELENE)
    david.sign_in(DAVID)
    path = "/console/dashboard/?from=2026-11-30&to=2026-12-06"
    assert '<td class="number">50\u00a0%</td>' in helene.text(path)  # French: a space before %
    assert '<td class="number">50%</td>' in david.text(path)


def test_each_table_is_folded_under_its_chart(week: Flask, db: Session) -> None:
    give_passwords(db)
    page = _supervisor(week).text("/console/dashboard/?from=2026-11-30&to=2026-12-06")
    figures = re.findall(r'<details class="figures"><summary>Les chiffres</summary>\s*<table', page)
    assert len(figures) == page.count('<table class="list figures">') == 4


def test_the_hours_of_the_week_are_a_heat_map_darkest_where_busiest(
    week: Flask, db: Session
) -> None:
    give_passwords(db)
    page = _supervisor(week).text("/console/dashboard/?from=2026-11-30&to=2026-12-06")
    tuesday = page.split('<th scope="row">mardi</th>')[1].split("</tr>")[0]
    cells = re.findall(r'<td class="heat-(\d)">(\d*)</td>', tuesday)
    assert len(cells) == 24
    assert cells[10] == ("5", "2") and cells[20] == ("3", "1") and cells[9] == ("0", "")


def test_presets_link_to_yesterday_the_last_7_days_and_this_month(week: Flask, db: Session) -> None:
    give_passwords(db)
    with time_machine.travel(at(2026, 12, 3, 9, 30), tick=False):
        page = _supervisor(week).text("/console/dashboard/?from=2026-12-02&to=2026-12-02")
    presets = page.split('<nav class="presets"')[1].split("</nav>")[0]
    yesterday = '<a href="/console/dashboard/?from=2026-12-02&amp;to=2026-12-02" aria-current'
    assert f'{yesterday}="page">Hier</a>' in presets
    assert "?from=2026-11-27&amp;to=2026-12-03" in presets  # the last 7 days, today included
    assert "?from=2026-12-01&amp;to=2026-12-03" in presets  # this month


def test_the_dashboard_says_when_it_ignored_a_date_or_shortened_the_period(
    week: Flask, db: Session
) -> None:
    give_passwords(db)
    with time_machine.travel(at(2026, 12, 3, 9, 30), tick=False):
        helene = _supervisor(week)
        bad = helene.text("/console/dashboard/?from=2026-13-45&to=2026-12-02")
        long = helene.text("/console/dashboard/?from=2020-01-01&to=2026-12-02")
        plain = helene.text("/console/dashboard/?from=2026-12-01&to=2026-12-02")
    assert "Ignorés (illisibles) : De" in bad
    assert "Une période compte au plus un an : sa dernière année est affichée." in long
    assert 'name="from" value="2025-12-02"' in long  # 366 days, the last one included
    assert "Ignorés" not in plain and "au plus un an" not in plain


def _supervisor(app: Flask) -> Staff:
    helene = Staff(app)
    helene.sign_in(HELENE)
    return helene


def test_the_dashboard_runs_the_same_queries_for_a_week_or_a_year(week: Flask, db: Session) -> None:
    give_passwords(db)
    helene = Staff(week)
    helene.sign_in(HELENE)
    place_call(week, at(2026, 12, 8, 10), press="6")
    seen = {}
    for name, path in (("week", "?from=2026-11-30&to=2026-12-06"), ("year", "?from=2026-01-01")):
        helene.text(f"/console/dashboard/{path}")  # the first stores the settled hours' counts
        with statements(db.get_bind()) as seen[name]:
            helene.text(f"/console/dashboard/{path}")
    assert 0 < len(seen["year"]) == len(seen["week"])
    # are all the hours stored; their counts, and how many were read; the others' calls; tickets
    reads = sorted(t for s in seen["year"] for t in re.findall(r"FROM (call\w*|ticket)\b", s))
    assert reads == ["call", "call_hour", "call_hour", "call_hour_count", "ticket"]
