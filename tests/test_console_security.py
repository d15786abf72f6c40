"""Every route of the console says who may use it, and the app holds to it: a walk over Flask's
whole URL map, signed out, as a technician and without CSRF tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.routing import Rule

from console import access
from tests.console_world import HELENE, LUC, Staff, give_passwords
from tests.phone import at, place_call

TEMPLATES = Path(__file__).resolve().parent.parent / "console" / "templates"
_STATIC_SCRIPT = re.compile(
    r"<script src=\"\{\{ url_for\('auth\.static', filename='[\w./-]+\.js'\) \}\}\" defer></script>"
)
# Outside the console's rule: Twilio signs /voice and /sms, the inbound-mail hook checks its bearer
# secret (tests/test_email_*), /healthz only reads, assets are public; the survey is the clients'
# page, its token the secret (tests/test_email_survey.py).
NOT_CONSOLE = ("ivr.", "sms.", "email_hook.", "health.", "metrics.", "survey.")
VALUES = {
    "number": 1001,
    "call_id": 1,
    "staff_id": 1,
    "token": "no-such-survey",
    "line": "regular",
    "duty_id": 1,
    "closure_id": 1,
    "override_id": 1,
    "client_id": 1,
    "contact_id": 1,
    "account": "1001",
    "entry_id": 1,
    "purchase_id": 1,
    "year": 2026,
    "month": 12,
    "recording_id": 1,
    "quarantine_id": 1,
    "file_id": 1,
    "notification_id": 1,
}


@pytest.fixture
def world(phone_app: Flask, db: Session) -> Flask:
    give_passwords(db)
    place_call(phone_app, at(2026, 12, 1, 10), press="6")
    return phone_app


def _routes(app: Flask) -> Iterator[tuple[Rule, str, str]]:
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(NOT_CONSOLE) or rule.endpoint.endswith("static"):
            continue
        path = rule.build({k: VALUES[k] for k in rule.arguments}, append_unknown=False)
        assert path is not None
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method, path[1]


def _send(person: Staff, method: str, path: str, *, token: bool = True) -> int:
    if method == "GET":
        return person.get(path).status_code
    data = {"csrf_token": person.token()} if token else {}
    return person.client.open(path, method=method, data=data).status_code


def test_every_route_says_who_may_use_it(world: Flask) -> None:
    unmarked = [rule.rule for rule, _m, _p in _routes(world) if access_of(world, rule) is None]
    assert unmarked == []


def access_of(app: Flask, rule: Rule) -> str | None:
    return getattr(app.view_functions[rule.endpoint], "access", None)


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(world: Flask) -> None:
    for rule, method, path in _routes(world):
        if access_of(world, rule) == access.ANYONE:
            continue
        visitor = Staff(world)
        response = visitor.client.open(
            path, method=method, data={"csrf_token": visitor.token()} if method != "GET" else {}
        )
        assert response.status_code == 302, (method, path)
        assert response.headers["Location"].startswith("/console/sign-in"), (method, path)


def test_a_technician_gets_403_on_the_supervisors_pages(world: Flask) -> None:
    luc = Staff(world)
    luc.sign_in(LUC)
    checked = 0
    for rule, method, path in _routes(world):
        if access_of(world, rule) == access.SUPERVISORS:
            assert _send(luc, method, path) == 403, (method, path)
            checked += 1
    assert checked >= 8


def test_every_state_changing_route_refuses_a_request_without_a_valid_token(
    world: Flask,
) -> None:
    helene = Staff(world)
    helene.sign_in(HELENE)
    posts = [(m, p) for _r, m, p in _routes(world) if m != "GET"]
    assert len(posts) >= 13
    for method, path in posts:
        assert _send(helene, method, path, token=False) == 400, (method, path)
        forged = helene.client.open(path, method=method, data={"csrf_token": "forged"})
        assert forged.status_code == 400, (method, path)


def test_pages_forbid_inline_scripts_and_styles(world: Flask) -> None:
    helene = Staff(world)
    helene.sign_in(HELENE)
    response = helene.get("/console/tickets/1001")
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "script-src 'self'" in policy
    assert "style-src 'self'" in policy and "default-src 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        # scripts only as files the app serves: a src, nothing between the tags
        scripts = text.count("<script")
        assert len(_STATIC_SCRIPT.findall(text)) == scripts, template
        assert "<style" not in text and "style=" not in text, template
    css = helene.get("/console/static/console.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    css.close()


def test_the_phone_line_and_health_keep_working_without_tokens(world: Flask) -> None:
    assert world.test_client().get("/healthz").status_code in (200, 503)
    unsigned = world.test_client().post("/voice/incoming", data={"CallSid": "CA1"})
    assert unsigned.status_code == 403  # Twilio's signature check, not CSRF's 400


def test_a_browser_asking_for_the_favicon_gets_the_apps_icon(world: Flask) -> None:
    client = world.test_client()
    asked = client.get("/favicon.ico")
    assert asked.status_code == 301
    icon = client.get(asked.headers["Location"])
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    icon.close()
