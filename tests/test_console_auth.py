"""Signing in to the console: passwords, limits, session cookies, the CLI's first password."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

import settings
from app import create_app
from helpdesk import staff_access
from models import SignInAttempt, StaffMember, utcnow
from tests.conftest import app_config
from tests.console_world import HELENE, LUC, PASSWORD, Staff, give_passwords


@pytest.fixture
def console_app(phone_app: Flask, db: Session) -> Flask:
    give_passwords(db)
    return phone_app


def test_staff_sign_in_with_email_and_password(console_app: Flask) -> None:
    luc = Staff(console_app)
    response = luc.sign_in("  LUC@altilogix.example ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"
    assert "Luc Gagnon" in luc.text("/console/")


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
    console_app: Flask,
) -> None:
    luc = Staff(console_app)
    for email in (LUC, "nobody@altilogix.example"):
        response = luc.sign_in(email, "not the password")
        assert response.status_code == 401
        assert "Adresse ou mot de passe erronés." in response.get_data(as_text=True)
    assert luc.get("/console/").status_code == 302


def test_five_failures_lock_the_account_for_15_minutes_even_with_the_right_password(
    console_app: Flask, db: Session
) -> None:
    luc = Staff(console_app)
    for _ in range(5):
        assert luc.sign_in(LUC, "guess guess guess").status_code == 401
    assert luc.sign_in(LUC).status_code == 429
    assert Staff(console_app).sign_in(HELENE).status_code == 302  # another account is not locked
    db.execute(
        SignInAttempt.__table__.update().values(at=utcnow() - timedelta(minutes=16))  # type: ignore[attr-defined]
    )
    db.commit()
    assert luc.sign_in(LUC).status_code == 302


def test_twenty_failures_from_one_address_lock_that_address(
    console_app: Flask, db: Session
) -> None:
    for attempt in range(20):
        db.add(SignInAttempt(at=utcnow(), email=f"x{attempt}@a.example", address="127.0.0.1"))
    db.commit()
    assert Staff(console_app).sign_in(HELENE).status_code == 429


def test_a_success_forgives_the_failures_before_it(console_app: Flask) -> None:
    luc = Staff(console_app)
    for _ in range(4):
        luc.sign_in(LUC, "guess guess guess")
    assert luc.sign_in(LUC).status_code == 302
    for _ in range(4):
        luc.sign_in(LUC, "guess guess guess")
    assert luc.sign_in(LUC).status_code == 302


def test_the_session_cookie_is_httponly_lax_and_expires(console_app: Flask) -> None:
    response = Staff(console_app).sign_in(LUC)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert "Secure" not in cookie  # development: plain http on 127.0.0.1
    assert console_app.permanent_session_lifetime == timedelta(minutes=480)


def test_outside_development_the_cookie_is_secure(engine_url: str) -> None:
    app = create_app(app_config(engine_url, TESTING=False, CONSOLE_SESSION_MINUTES="30"))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.permanent_session_lifetime == timedelta(minutes=30)
    assert settings.load({}, app_config(engine_url)).console_session_minutes == 480


def test_signing_out_ends_the_session(console_app: Flask) -> None:
    luc = Staff(console_app)
    luc.sign_in(LUC)
    assert luc.post("/console/sign-out").status_code == 302
    assert luc.get("/console/").status_code == 302


def test_a_new_password_signs_out_the_other_sessions(console_app: Flask, db: Session) -> None:
    luc = Staff(console_app)
    luc.sign_in(LUC)
    person = db.scalars(select(StaffMember).where(StaffMember.email == LUC)).one()
    staff_access.set_password(person, "another long password")
    db.commit()
    assert luc.get("/console/").status_code == 302


def test_an_inactive_staff_member_cannot_sign_in(console_app: Flask, db: Session) -> None:
    person = db.scalars(select(StaffMember).where(StaffMember.email == LUC)).one()
    person.active = False
    db.commit()
    assert Staff(console_app).sign_in(LUC).status_code == 401


def test_after_signing_in_the_visitor_goes_where_they_were_going(console_app: Flask) -> None:
    luc = Staff(console_app)
    first = luc.get("/console/tickets/1001")
    assert first.headers["Location"] == "/console/sign-in?next=%2Fconsole%2Ftickets%2F1001"
    token = luc.token(first.headers["Location"])
    data = {"email": LUC, "password": PASSWORD, "csrf_token": token}
    answer = luc.client.post("/console/sign-in", data={**data, "next": "/console/tickets/1001"})
    assert answer.headers["Location"] == "/console/tickets/1001"
    data["csrf_token"] = luc.token()  # signing in starts a new session, with a new token
    elsewhere = luc.client.post("/console/sign-in", data={**data, "next": "//evil.example/"})
    assert elsewhere.headers["Location"] == "/console/"


def test_the_first_password_is_set_from_the_command_line(console_app: Flask, db: Session) -> None:
    runner = console_app.test_cli_runner()
    typed = "a first password\na first password\n"
    result = runner.invoke(args=["staff", "set-password", HELENE], input=typed)
    assert result.exit_code == 0, result.output
    assert "a first password" not in result.output  # hidden
    assert Staff(console_app).sign_in(HELENE, "a first password").status_code == 302
    short = runner.invoke(args=["staff", "set-password", HELENE], input="short\nshort\n")
    assert "at least 10 characters" in short.output


def test_demo_passwords_are_given_only_in_development(console_app: Flask, db: Session) -> None:
    db.execute(StaffMember.__table__.update().values(password_hash=None))  # type: ignore[attr-defined]
    db.commit()
    result = console_app.test_cli_runner().invoke(args=["staff", "demo-passwords"])
    assert result.exit_code == 0 and staff_access.DEMO_PASSWORD in result.output
    assert Staff(console_app).sign_in(LUC, staff_access.DEMO_PASSWORD).status_code == 302
    production = create_app(
        app_config(console_app.extensions["helpdesk"].settings.database_url, TESTING=False)
    )
    refused = production.test_cli_runner().invoke(args=["staff", "demo-passwords"])
    assert refused.exit_code != 0 and "only with DEBUG=true" in refused.output


def test_make_runs_banner_says_how_to_sign_in(capsys: pytest.CaptureFixture[str]) -> None:
    from cli import local_run

    local = local_run.Local({"PORT": "5000"}, "development mode (test)", None)
    local_run._banner(local, settings.load({}, {"DEBUG": "true"}), "up")
    shown = capsys.readouterr().out
    assert "Staff console: http://127.0.0.1:5000/console/" in shown
    assert "helene@altilogix.example" in shown and staff_access.DEMO_PASSWORD in shown
    local_run._banner(local, settings.load({}, {"DEBUG": "false"}), "up")
    assert staff_access.DEMO_PASSWORD not in capsys.readouterr().out


def test_behind_a_proxy_one_locked_address_does_not_lock_every_client(
    phone_app: Flask, db: Session, engine_url: str
) -> None:
    give_passwords(db)
    behind = create_app(app_config(engine_url, TRUSTED_PROXIES=1))
    for attempt in range(20):
        db.add(SignInAttempt(at=utcnow(), email=f"x{attempt}@a.example", address="198.51.100.7"))
    db.commit()
    from_there = Staff(behind)
    from_there.client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.7"
    assert from_there.sign_in(HELENE).status_code == 429
    elsewhere = Staff(behind)
    elsewhere.client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.9"
    assert elsewhere.sign_in(HELENE).status_code == 302
