"""A day of traffic through the real web server (gunicorn, with the project's gunicorn.conf.py),
and every line it logged, the access log included, read for tokens, numbers and addresses."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from helpdesk import surveys
from models import Survey, Ticket
from tests.conftest import app_config
from tests.console_world import HELENE, PASSWORD, give_passwords
from tests.phone import BASE, CATA, MAIN, MARIE, OFFICE, TOKEN
from tools.simulator import Script, Simulator
from tools.transports import OverHttp

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
LUC_MOBILE = "+15145550171"
HOOK_SECRET = "hook-s3cret-for-the-logs"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(
    request: pytest.FixtureRequest, phone_app: Flask, db: Session, engine_url: str, tmp_path: Path
) -> Iterator[str]:
    """gunicorn serving the tests' database; its output (the app's logs, gunicorn's errors and
    its access log) goes to a file the test reads. LOG_FORMAT is the test's parameter (text)."""
    give_passwords(db)
    port = free_port()
    config = app_config(
        engine_url,
        CATA_NUMBERS=CATA,
        OFFICE_NUMBER=OFFICE,
        INBOUND_EMAIL_SECRET=HOOK_SECRET,
        LOG_LEVEL="DEBUG",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        RATE_LIMITS="false",
        LOG_FORMAT=getattr(request, "param", "text"),
    )
    env = {**os.environ, **{name: str(value) for name, value in config.items()}}
    output = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [str(GUNICORN), "app:create_app()", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{url}/healthz", timeout=10)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        output.close()


def signed(url: str, path: str, params: dict[str, str]) -> requests.Response:
    signature = RequestValidator(TOKEN).compute_signature(f"{BASE}{path}", params)
    return requests.post(
        f"{url}{path}", data=params, headers={"X-Twilio-Signature": signature}, timeout=10
    )


def token_of(page: requests.Response) -> str:
    found = _TOKEN.search(page.text)
    assert found, page.text[:200]
    return found.group(1)


def a_day_of_traffic(url: str, db: Session) -> str:
    """A call, a technician's SMS, a survey answered, a sign-in and console pages, an email;
    the survey's token, for the test to look for."""
    with OverHttp(url) as transport:
        Simulator(transport, TOKEN).place_call(
            f"{BASE}/voice/incoming", MARIE, MAIN, Script(inputs=["6"], record_seconds=5)
        )
    for body in ("STATUS", "OK 1001", "OFF", "ON"):
        params = {"MessageSid": f"SM{len(body):032d}", "From": LUC_MOBILE, "Body": body}
        assert signed(url, "/sms/incoming", params).status_code == 200
    ticket = db.scalars(select(Ticket).order_by(Ticket.id)).first()
    assert ticket is not None
    surveys.invite(ticket)
    db.commit()
    token = db.scalars(select(Survey.token)).one()
    client = requests.Session()
    page = client.get(f"{url}/survey/{token}?lang=fr", timeout=10)
    answer = {"score": "5", "comment": "Merci! Rappelez-moi au 514 555-0101", "csrf_token": ""}
    answer["csrf_token"] = token_of(page)
    assert client.post(f"{url}/survey/{token}", data=answer, timeout=10).status_code == 200
    staff = requests.Session()
    form = {"email": HELENE, "password": "not the password"}
    form["csrf_token"] = token_of(staff.get(f"{url}/console/sign-in", timeout=10))
    assert staff.post(f"{url}/console/sign-in", data=form, timeout=10).status_code == 401
    form = {"email": HELENE, "password": PASSWORD}
    form["csrf_token"] = token_of(staff.get(f"{url}/console/sign-in", timeout=10))
    assert staff.post(f"{url}/console/sign-in", data=form, timeout=10).status_code == 200
    for path in (
        "/console/",
        f"/console/tickets/{ticket.number}",
        "/console/tickets/?q=514+555-0101",
        "/console/tickets/?q=marie%40boulangerie.example",
        "/console/calls/",
        "/console/dashboard/",
        "/console/staff",
        "/console/clients/",
    ):
        assert staff.get(f"{url}{path}", timeout=10).status_code == 200, path
    mail = (ROOT / "examples" / "mail" / "regular-request.eml").read_bytes()
    headers = {"Authorization": f"Bearer {HOOK_SECRET}"}
    requests.post(f"{url}/email/inbound", data=mail, headers=headers, timeout=10)
    return token


@pytest.mark.parametrize("migrated_url", ["postgresql"], indirect=True)
def test_a_day_of_traffic_leaves_no_token_number_or_address_in_any_log_line(
    server: str, db: Session, tmp_path: Path
) -> None:
    token = a_day_of_traffic(server, db)
    time.sleep(0.5)  # the access log's last lines
    written = (tmp_path / "server.log").read_text()
    assert '"POST /sms/incoming" 200' in written  # the access log is there, in its format
    assert '"GET /survey/…" 200' in written
    personal = [
        token,
        "5550101",
        "555-0101",
        "5550171",
        "marie@boulangerie.example",
        HELENE,
        TOKEN,
        HOOK_SECRET,
        PASSWORD,
        "test-secret",
    ]
    leaks = [value for value in personal if value in written]
    lines = [line for line in written.splitlines() if any(value in line for value in leaks)]
    assert leaks == [], lines[:5]


@pytest.mark.parametrize("server", ["json"], indirect=True)
def test_json_logs_are_one_object_a_line_gunicorns_included_and_redacted(
    server: str, db: Session, tmp_path: Path
) -> None:
    token = a_day_of_traffic(server, db)
    time.sleep(0.5)  # the access log's last lines
    lines = [line for line in (tmp_path / "server.log").read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # fails on a line that is not JSON
    assert any('"POST /sms/incoming" 200' in record["message"] for record in records)
    assert not [line for line in lines if token in line or "5550101" in line or HELENE in line]


@pytest.mark.parametrize("server", ["json"], indirect=True)
def test_under_gunicorn_each_webhook_of_a_call_logs_a_json_line_with_its_call_sid(
    server: str, tmp_path: Path
) -> None:
    with OverHttp(server) as transport:
        transcript = Simulator(transport, TOKEN).place_call(
            f"{BASE}/voice/incoming", MARIE, MAIN, Script(inputs=["6"], record_seconds=5)
        )
    # Written before each answer left (the access log's lines may come later: not read here).
    lines = (tmp_path / "server.log").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    answered = [r for r in records if r["logger"] == "webhooks"]
    assert [r["route"] for r in answered][-1] == "/voice/status"
    assert {r["call_sid"] for r in answered} == {transcript.call_sid}
    assert answered[-1]["ticket"] is not None
