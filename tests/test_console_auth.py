"""Signing in to the console: passwords, limits, session cookies, the CLI's first password."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from alembic import command
from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

import settings
from app import create_app
from helpdesk import staff_access
from migrations import alembic_config
from models import Role, SignInLimit, StaffMember, utcnow
from models.db import make_engine, make_session_factory
from tests.conftest import app_config
from tests.console_world import (
    DAVID,
    HELENE,
    LUC,
    PASSWORD,
    Staff,
    give_passwords,
    signed_in,
    signed_in_at,
    staff_id,
)


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


def test_after_five_failures_each_attempt_from_that_address_waits_longer(
    console_app: Flask,
) -> None:
    luc = Staff(console_app)
    start = utcnow()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            assert luc.sign_in(LUC, "guess guess guess").status_code == 401
        refused = luc.sign_in(LUC)
        assert refused.status_code == 429
        assert "Trop de tentatives. Réessayez dans 15 s." in refused.get_data(as_text=True)
        assert refused.headers["Retry-After"] == "15"
    with time_machine.travel(start + timedelta(seconds=16), tick=False):
        assert luc.sign_in(LUC, "guess guess guess").status_code == 401  # the 6th failure
    with time_machine.travel(start + timedelta(seconds=40), tick=False):
        assert luc.sign_in(LUC).status_code == 429  # now 30 s after the 6th
    with time_machine.travel(start + timedelta(seconds=47), tick=False):
        assert luc.sign_in(LUC).status_code == 302


def test_a_stranger_failing_cannot_keep_the_owner_out_of_their_account(
    console_app: Flask,
) -> None:
    stranger, owner = Staff(console_app), Staff(console_app)
    for _ in range(12):
        stranger.client.environ_base["REMOTE_ADDR"] = "192.0.2.66"
        stranger.sign_in(HELENE, "guess guess guess")
    owner.client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert owner.sign_in(HELENE).status_code == 302


def test_twenty_failures_from_one_address_slow_every_account_from_it(
    console_app: Flask, db: Session
) -> None:
    db.add(SignInLimit(key="127.0.0.1", failures=20, last_at=utcnow()))
    db.commit()
    assert Staff(console_app).sign_in(HELENE).status_code == 429


def test_twenty_parallel_wrong_passwords_get_only_five_checks(
    postgresql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL, twenty sign-ins at once, each in its own connection."""
    command.upgrade(alembic_config(postgresql_url), "head")
    engine = make_engine(postgresql_url, pool_size=20)
    sessions = make_session_factory(engine)
    checks: list[str] = []
    checking = check_password_hash

    def counted(stored: str, password: str) -> bool:
        checks.append(password)
        time.sleep(0.05)  # a slow hash: the others arrive meanwhile
        return checking(stored, password)

    monkeypatch.setattr(staff_access, "check_password_hash", counted)
    start = threading.Barrier(20)

    def attempt(n: int) -> str:
        start.wait()
        with sessions() as session, session.begin():
            try:
                staff_access.sign_in(session, LUC, f"guess number {n}", "203.0.113.9")
            except staff_access.SignInRefused as refused:
                return "throttled" if refused.throttled else "wrong"
        return "in"

    try:
        with ThreadPoolExecutor(20) as pool:
            outcomes = list(pool.map(attempt, range(20)))
        assert len(checks) == 5
        assert sorted(outcomes) == ["throttled"] * 15 + ["wrong"] * 5
    finally:
        with engine.begin() as connection:
            connection.execute(delete(SignInLimit))
        engine.dispose()


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


def test_a_cookie_copied_before_signing_out_opens_nothing_after(console_app: Flask) -> None:
    luc = Staff(console_app)
    luc.sign_in(LUC)
    copied = _cookie(luc)
    assert luc.post("/console/sign-out").status_code == 302
    thief = Staff(console_app)
    thief.client.set_cookie("session", copied)
    replayed = thief.get("/console/")
    assert replayed.status_code == 302
    assert replayed.headers["Location"].startswith("/console/sign-in")


def test_a_new_role_ends_the_sessions_opened_under_the_old_one(
    console_app: Flask, db: Session
) -> None:
    helene = signed_in(console_app, HELENE)
    david = signed_in(console_app, DAVID)
    person = db.scalars(select(StaffMember).where(StaffMember.email == HELENE)).one()
    fields = {"name": person.name, "email": HELENE, "mobile": person.mobile or ""}
    fields |= {"role": "technician", "language": "fr", "active": "on"}
    assert david.post(f"/console/staff/{person.id}", fields).status_code == 302
    db.refresh(person)
    assert person.role == Role.TECHNICIAN
    assert helene.get("/console/").status_code == 302


def test_leaving_ends_every_session_of_a_staff_member(console_app: Flask, db: Session) -> None:
    luc = signed_in(console_app, LUC)
    person = db.scalars(select(StaffMember).where(StaffMember.email == LUC)).one()
    fields = {"name": person.name, "email": LUC, "mobile": person.mobile or ""}
    fields |= {"role": "technician", "language": "fr"}  # "active" unchecked
    helene = signed_in(console_app, HELENE)
    assert helene.post(f"/console/staff/{person.id}", fields).status_code == 302
    db.refresh(person)
    assert not person.active
    assert luc.get("/console/").status_code == 302


def test_a_supervisor_signs_a_staff_member_out_everywhere(console_app: Flask, db: Session) -> None:
    phone, desk = signed_in(console_app, LUC), signed_in(console_app, LUC)
    helene = signed_in(console_app, HELENE)
    done = helene.post(f"/console/staff/{staff_id(db, LUC)}/sign-out", page="/console/staff")
    assert done.status_code == 302
    assert "Luc Gagnon est déconnecté(e) partout." in helene.text("/console/staff")
    assert phone.get("/console/").status_code == 302
    assert desk.get("/console/").status_code == 302


def test_a_session_unused_for_an_hour_ends(console_app: Flask) -> None:
    start = utcnow()
    with signed_in_at(console_app, LUC, start) as luc:
        pass
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        assert luc.get("/console/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=59 + 61), tick=False):
        assert luc.get("/console/").status_code == 302
    with time_machine.travel(start + timedelta(minutes=59 + 62), tick=False):
        assert luc.get("/console/").status_code == 302  # ended, not just idle


def test_a_session_in_use_still_ends_after_eight_hours(console_app: Flask) -> None:
    start = utcnow()
    with signed_in_at(console_app, LUC, start) as luc:
        pass
    for minutes in range(50, 480, 50):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert luc.get("/console/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=481), tick=False):
        assert luc.get("/console/").status_code == 302


def _cookie(person: Staff) -> str:
    cookie = person.client.get_cookie("session")
    assert cookie is not None
    return cookie.value


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
    staff_access.set_password(db, person, "another long password")
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
    db.add(SignInLimit(key="198.51.100.7", failures=20, last_at=utcnow()))
    db.commit()
    from_there = Staff(behind)
    from_there.client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.7"
    assert from_there.sign_in(HELENE).status_code == 429
    elsewhere = Staff(behind)
    elsewhere.client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.9"
    assert elsewhere.sign_in(HELENE).status_code == 302


def test_signing_in_again_ends_the_browsers_previous_session(console_app: Flask) -> None:
    luc = Staff(console_app)
    luc.sign_in(LUC)
    before = _cookie(luc)
    luc.sign_in(LUC)
    thief = Staff(console_app)
    thief.client.set_cookie("session", before)
    assert thief.get("/console/").status_code == 302
    assert luc.get("/console/").status_code == 200
