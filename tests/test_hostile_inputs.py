"""Hostile values through every door: the app refuses or cleans them, never answers a 500.

The fuzz test walks the app's URL map and sends each route values made by Hypothesis: NUL and
other control characters, very long text, huge and negative numbers, dates in year 1 or 9999.
Console routes go as a signed-in supervisor with a CSRF token, Twilio's routes signed as Twilio
signs them. The mail hook is left to the mail reader's own bounds (its tests).
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from directory import entries
from directory.entries import DirectoryFileError
from models import Client, Closure, Role, StaffMember, TimeEntry
from tests.console_world import (
    HELENE,
    LUC,
    PASSWORD,
    Staff,
    give_passwords,
    signed_in,
    staff_id,
)
from tests.phone import BASE, TOKEN, at, place_call, signed_post, the_ticket
from web import inputs

ROOT = Path(__file__).resolve().parent.parent
DOORS = ("console", "survey", "pager", "ivr", "health.py", "web", "mail/hook.py")
# The names a view reads: request.args/form/values.get("x"), forms.field("x") and the like.
NAME_READ = re.compile(
    r"""(?:args|form|values|files)\.get(?:list)?\(\s*["']([\w-]+)["']"""
    r"""|forms\.\w+\(\s*["']([\w-]+)["']|_field\(\s*["']([\w-]+)["']"""
    r"""|_form\(\s*["']([\w-]+)["']"""
)
NASTY = [
    "\x00",
    "a\x00b",
    "\r\nSet-Cookie: stolen=1",
    "/console/\r\nLocation: https://evil.example/",
    "9999-12-31",
    "9999-12-31T23:59",
    "0001-01-01",
    "99999999999999999999",
    "-99999999999999999999",
    "2147483648",
    "1e309",
    "NaN",
    "-0",
    "²",
    "\uff11\uff12\uff13",  # fullwidth digits
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "../../../etc/passwd",
    "%00",
    "x" * 30_000,
    "\u202egnp.exe",
    "\x1b[31m",
]
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)  # no lone surrogates
VALUES = st.one_of(
    st.sampled_from(NASTY),
    TEXT,
    st.integers(-(10**25), 10**25).map(str),
    st.dates().map(str),
    st.datetimes().map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M")),
)
SKIPPED = {"static", "auth.static", "email_hook.inbound"}
EXAMPLES_PER_ROUTE = 12
SERVER_ERROR = 500  # a crash; /healthz's 503 says something true


def field_names() -> list[str]:
    names: set[str] = {"csrf_token", "next", "Body", "From", "To", "CallSid", "Digits"}
    for door in DOORS:
        place = ROOT / door
        for source in [place] if place.is_file() else place.rglob("*.py"):
            for found in NAME_READ.findall(source.read_text()):
                names.update(name for name in found if name)
    return sorted(names)


def path_values(rule: Rule) -> st.SearchStrategy[dict[str, Any]]:
    """Values for the rule's variables, as its converters would let them through."""
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for name, converter in (rule._converters or {}).items():
        kind = type(converter).__name__
        if kind == "IntegerConverter":
            known = st.sampled_from([1, 2, 3, 1001])  # rows the world has: ticket 1001, its call
            parts[name] = st.one_of(known, st.integers(0, 3000), st.integers(2**31 - 2, 10**25))
        elif kind == "AnyConverter":
            parts[name] = st.sampled_from(["regular", "urgent"])
        else:
            parts[name] = st.one_of(st.sampled_from(NASTY), TEXT.filter(bool))
    return st.fixed_dictionaries(parts)


def build_path(rule: Rule, values: dict[str, Any]) -> str:
    path = rule.rule
    for name, value in values.items():
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", quote(str(value), safe=""), path)
    return path


@pytest.fixture
def fuzz_app(phone_app: Flask, db: Session) -> Flask:
    give_passwords(db)
    return phone_app


class Sender:
    """Sends one request to a route as the route's door expects it, and keeps a supervisor
    signed in whatever the fuzzed forms did to her (a role, a password, signed out)."""

    def __init__(self, app: Flask, db: Session) -> None:
        self.app, self.db = app, db
        self.anonymous = app.test_client()
        self.helene = self._sign_in()
        self.token = self.helene.token("/console/")

    def _sign_in(self) -> Staff:
        person = self.db.scalars(select(StaffMember).where(StaffMember.email == HELENE)).one()
        hashed = self.db.scalars(
            select(StaffMember.password_hash).where(StaffMember.email == LUC)
        ).one()
        person.active, person.role, person.password_hash = True, Role.SUPERVISOR, hashed
        self.db.commit()
        staff = Staff(self.app)
        staff.client.environ_base["REMOTE_ADDR"] = "198.51.100.10"
        assert staff.sign_in(HELENE, PASSWORD).status_code == 302
        return staff

    def send(self, rule: Rule, method: str, path: str, query: dict[str, str], form: Any) -> Any:
        url = path + ("?" + urlencode(query) if query else "")
        if rule.rule.startswith(("/voice", "/sms")):
            return self._twilio(url, form)
        if rule.rule.startswith("/console") and rule.endpoint != "auth.sign_in_post":
            return self._console(method, url, form)
        return self.anonymous.open(url, method=method, data=form)

    def _twilio(self, url: str, form: dict[str, str]) -> TestResponse:
        path, _, query = url.partition("?")
        # Twilio signs the URL it requested; the app checks it with the path as decoded.
        signed = f"{BASE}{unquote(path)}" + (f"?{query}" if query else "")
        signature = RequestValidator(TOKEN).compute_signature(signed, form)
        client = self.app.test_client()
        return client.post(url, data=form, base_url=BASE, headers={"X-Twilio-Signature": signature})

    def _console(self, method: str, url: str, form: dict[str, str]) -> TestResponse:
        if method == "POST":
            form = {**form, "csrf_token": self.token}
        response = self.helene.client.open(url, method=method, data=form)
        if self.helene.client.get("/console/sla/rows").status_code != 200:
            self.helene = self._sign_in()  # the form ended her session: a fresh one
            self.token = self.helene.token("/console/")
        return response


def check_route(sender: Sender, rule: Rule, method: str, names: list[str]) -> None:
    forms = st.dictionaries(st.sampled_from(names), VALUES, max_size=5)

    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(path_values(rule), forms, forms)
    def one_request(path: dict[str, Any], query: dict[str, str], form: dict[str, str]) -> None:
        response = sender.send(rule, method, build_path(rule, path), query, form)
        assert response.status_code != SERVER_ERROR, (method, rule.rule, path, query, form)

    one_request()


@pytest.mark.parametrize("migrated_url", ["postgresql"], indirect=True)
def test_no_route_answers_a_hostile_value_with_a_server_error(fuzz_app: Flask, db: Session) -> None:
    sender, names = Sender(fuzz_app, db), field_names()
    rules = [rule for rule in fuzz_app.url_map.iter_rules() if rule.endpoint not in SKIPPED]
    assert len(rules) > 80
    for rule in sorted(rules, key=lambda rule: rule.rule):
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            check_route(sender, rule, method, names)


def test_a_nul_byte_in_the_sign_in_email_is_refused(fuzz_app: Flask) -> None:
    staff = Staff(fuzz_app)
    data = {"email": "luc\x00@altilogix.example", "password": PASSWORD}
    response = staff.client.post("/console/sign-in", data={**data, "csrf_token": staff.token()})
    assert response.status_code == 400


def test_a_survey_link_with_a_nul_byte_is_refused(fuzz_app: Flask) -> None:
    assert fuzz_app.test_client().get("/survey/%00").status_code in (400, 404)


def test_a_next_page_with_a_line_break_is_refused(fuzz_app: Flask) -> None:
    response = fuzz_app.test_client().get("/console/sign-in?next=/console/%0d%0aX-Evil:%201")
    assert response.status_code == 400


def test_a_next_page_with_a_line_break_in_the_sign_in_form_is_ignored(fuzz_app: Flask) -> None:
    staff = Staff(fuzz_app)
    form = {"email": LUC, "password": PASSWORD, "next": "/console/\r\nX-Evil: 1"}
    response = staff.client.post("/console/sign-in", data={**form, "csrf_token": staff.token()})
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"


def test_a_dashboard_in_year_9999_shows_the_last_four_weeks(fuzz_app: Flask) -> None:
    helene = signed_in(fuzz_app, HELENE)
    assert helene.get("/console/dashboard/?from=0001-01-01&to=9999-12-31").status_code == 200


def test_a_closure_in_year_9999_is_refused(fuzz_app: Flask) -> None:
    helene = signed_in(fuzz_app, HELENE)
    form = {"day": "9999-12-31", "from_time": "08:00", "until_time": "17:00", "reason": "Fin"}
    assert helene.post("/console/closures/", form).status_code == 400


def test_a_closure_in_year_9999_written_compactly_is_refused_too(
    fuzz_app: Flask, db: Session
) -> None:
    helene = signed_in(fuzz_app, HELENE)
    form = {"day": "99991231", "from_time": "", "until_time": "", "reason": "Fin"}
    assert helene.post("/console/closures/", form).status_code == 302  # the page, refusing
    assert db.scalars(select(Closure)).all() == []


def test_a_huge_ticket_number_by_sms_gets_the_help_text(fuzz_app: Flask) -> None:
    params = {"MessageSid": "SM" + "1" * 32, "From": "+15145550171"}  # Luc
    response = signed_post(fuzz_app, "/sms/incoming", {**params, "Body": "OK 99999999999999999999"})
    assert response.status_code == 200
    assert "<Message>" in response.get_data(as_text=True)


def test_a_huge_ticket_number_in_a_console_path_is_not_found(fuzz_app: Flask) -> None:
    helene = signed_in(fuzz_app, HELENE)
    assert helene.get("/console/tickets/99999999999999999999").status_code == 404


def test_a_directory_file_with_a_nul_in_a_name_is_refused_and_loads_nothing() -> None:
    with pytest.raises(DirectoryFileError, match=r"staff\[1\]\.name: a control character"):
        entries.parse('[[staff]]\nname = "Luc\\u0000Gagnon"\nemail = "luc@altilogix.example"\n')


@pytest.fixture
def a_ticket(fuzz_app: Flask, db: Session) -> int:
    """Ticket 1001: Marie's call to regular support on a Tuesday morning."""
    return the_ticket(db, place_call(fuzz_app, at(2026, 12, 1, 10), press="6")).number


@pytest.mark.parametrize(
    "fields",
    [
        {"travel_minutes": "99999999999"},
        {"minutes": "-99999999999"},
        {"distance_km": "nan"},
        {"distance_km": "1e309"},
        {"expenses": "99999999999999999"},
        {"started_at": "99991231T2359"},  # a compact ISO date, past the door's date shape
        {"minutes": "\u0663\u0660"},  # "30" in Arabic-Indic digits, which int() takes
        {"travel_minutes": "1_000"},
        {"distance_km": "\u0663\u0660"},
        {"expenses": "\u0663\u0660"},
    ],
)
def test_an_absurd_number_in_a_time_entry_is_refused_and_stores_nothing(
    fuzz_app: Flask, db: Session, a_ticket: int, fields: dict[str, str]
) -> None:
    luc = signed_in(fuzz_app, LUC)
    form = {"kind": "phone", "category": "support", "minutes": "30", **fields}
    response = luc.post(f"/console/tickets/{a_ticket}/time", form)
    assert response.status_code == 422  # the form again, with the refusal
    assert db.scalars(select(TimeEntry)).all() == []


def test_an_absurd_rank_or_person_in_the_standing_order_is_refused(fuzz_app: Flask) -> None:
    helene = signed_in(fuzz_app, HELENE)
    response = helene.post("/console/roster/order/regular", {"rank-99999999999": "1"})
    assert response.status_code == 302
    assert "Refusé" in helene.text("/console/roster/")


@pytest.mark.parametrize("rank", ["\u0661", "+1", "1_0"])
def test_a_rank_in_the_standing_order_is_ascii_digits_only(
    fuzz_app: Flask, db: Session, rank: str
) -> None:
    helene = signed_in(fuzz_app, HELENE)
    luc = staff_id(db, LUC)
    response = helene.post("/console/roster/order/regular", {f"rank-{luc}": rank})
    assert response.status_code == 302
    assert f"Refusé : valeur inconnue : {rank}" in html.unescape(helene.text("/console/roster/"))


@pytest.mark.parametrize("typed", ["\u0663", "\u00b3", "1_000", "+3", "3.0", ""])
def test_a_whole_number_is_read_from_ascii_digits_only(typed: str) -> None:
    with pytest.raises(ValueError):
        inputs.integer(typed)


def test_a_whole_number_may_have_a_minus_and_spaces_around() -> None:
    assert (inputs.integer(" 42 "), inputs.integer("-3")) == (42, -3)


def test_a_client_at_an_absurd_distance_is_refused(fuzz_app: Flask, db: Session) -> None:
    helene = signed_in(fuzz_app, HELENE)
    client = db.scalars(select(Client).order_by(Client.id)).first()
    assert client is not None
    form = {"account": client.account, "name": client.name, "language": "fr"}
    response = helene.post(f"/console/clients/{client.id}", {**form, "distance_km": "nan"})
    assert response.status_code in (200, 302)
    db.refresh(client)
    assert client.distance_km == client.distance_km  # not NaN


def test_an_sms_with_a_nul_byte_is_cleaned_and_answered(fuzz_app: Flask) -> None:
    params = {"MessageSid": "SM" + "3" * 32, "From": "+15145550171", "Body": "STA\x00TUS"}
    response = signed_post(fuzz_app, "/sms/incoming", params)
    assert response.status_code == 200
    assert "<Message>" in response.get_data(as_text=True)


def test_a_delivery_status_with_a_nul_byte_is_cleaned_and_answered(fuzz_app: Flask) -> None:
    params = {
        "MessageSid": "SM\x00" + "4" * 32,
        "MessageStatus": "undelivered",
        "ErrorCode": "3\x00",
    }
    assert signed_post(fuzz_app, "/sms/status", params).status_code == 204


def test_a_console_note_with_a_control_character_is_refused_in_words_with_the_text_to_copy(
    fuzz_app: Flask,
) -> None:
    place_call(fuzz_app, at(2026, 12, 1, 10), press="6")
    luc = signed_in(fuzz_app, LUC)
    answer = luc.post("/console/tickets/1001/notes", {"text": "Ligne 1\x0bligne 2"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Note : un caractère que la console ne peut pas garder" in page
    assert "Ligne 1ligne 2</textarea>" in page  # to copy, cleaned


def test_a_console_note_too_long_is_refused_naming_the_field_and_the_limit(
    fuzz_app: Flask,
) -> None:
    place_call(fuzz_app, at(2026, 12, 1, 10), press="6")
    luc = signed_in(fuzz_app, LUC)
    answer = luc.post("/console/tickets/1001/notes", {"text": "x" * 20_001})
    assert answer.status_code == 400
    assert "Note : le texte dépasse 20 000 caractères." in answer.get_data(as_text=True).replace(
        "\u202f", " "
    ).replace("\xa0", " ")


def test_a_search_too_long_is_refused_with_the_limit_of_a_search(fuzz_app: Flask) -> None:
    luc = signed_in(fuzz_app, LUC)
    answer = luc.get("/console/tickets/?q=" + "x" * 2_001)
    page = answer.get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")
    assert answer.status_code == 400
    assert "le texte dépasse 2 000 caractères" in page


def test_a_date_in_no_possible_year_is_refused_naming_the_field(fuzz_app: Flask) -> None:
    helene = signed_in(fuzz_app, HELENE)
    form = {"day": "0001-01-01", "from_time": "", "until_time": "", "reason": "Fin"}
    answer = helene.post("/console/closures/", form)
    assert answer.status_code == 400
    assert "jour : la date n'est pas dans une année possible" in html.unescape(
        answer.get_data(as_text=True)
    )


def test_a_counter_in_a_voice_url_that_is_no_ascii_number_is_ignored(fuzz_app: Flask) -> None:
    call = {"CallSid": "CA" + "7" * 32, "From": "+15145550101", "To": "+15149826161"}
    assert signed_post(fuzz_app, "/voice/menu?tries=%C2%B2", call).status_code == 200
