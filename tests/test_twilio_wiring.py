"""``flask twilio wire``: the account's numbers pointed at this deployment through Twilio's REST
API (its HTTP side simulated, as every Twilio test here), with a dry run that changes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

from flask import Flask
from twilio.http import HttpClient
from twilio.http.response import Response

from app import create_app
from tests.conftest import app_config
from web import context as web_context

MAIN, CATA = "+15145550190", "+15145550191"
BASE = "https://support.altilogix.example"
ACCOUNT = "AC" + "0" * 32


@dataclass
class TwilioNumbers(HttpClient):  # type: ignore[misc]
    """Twilio's IncomingPhoneNumbers resource: the account's numbers, how each is wired, and
    every change posted."""

    numbers: dict[str, dict[str, str]] = field(default_factory=dict)
    posted: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def request(
        self,
        method: str,
        url: str,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        auth: Any = None,
        timeout: Any = None,
        allow_redirects: bool = False,
    ) -> Response:
        if method == "GET":
            wanted = (params or {}).get("PhoneNumber") or parse_qs(urlparse(url).query)[
                "PhoneNumber"
            ][0]
            found = [
                self._resource(n) for n in self.numbers.values() if n["phone_number"] == wanted
            ]
            page = {
                "incoming_phone_numbers": found,
                "meta": {"key": "incoming_phone_numbers", "next_page_url": None},
            }
            return Response(200, json.dumps(page))
        sid = url.rsplit("/", 1)[-1].removesuffix(".json")
        changes = dict(data or {})
        self.posted.append((sid, changes))
        for name, value in changes.items():
            self.numbers[sid][_snake(name)] = value
        return Response(200, json.dumps(self._resource(self.numbers[sid])))

    @staticmethod
    def _resource(number: dict[str, str]) -> dict[str, str]:
        return {"account_sid": ACCOUNT, **number}


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _number(sid: str, phone: str, **wired: str) -> dict[str, str]:
    fields = ("voice_url", "voice_fallback_url", "status_callback", "sms_url")
    return {"sid": sid, "phone_number": phone, **{f: wired.get(f, "") for f in fields}}


def _app(engine_url: str, fake: TwilioNumbers) -> Flask:
    app = create_app(
        app_config(
            engine_url,
            MAIN_NUMBERS=[MAIN],
            CATA_NUMBERS=[CATA],
            PUBLIC_BASE_URL=BASE,
            TWILIO_AUTH_TOKEN="test-token",
        )
    )
    context = app.extensions[web_context.KEY]
    web_context.install(app, context.replace(twilio_http=fake))
    return app


def test_a_dry_run_says_what_would_change_and_changes_nothing(engine_url: str) -> None:
    fake = TwilioNumbers(
        {
            "PN1": _number("PN1", MAIN, voice_url="https://old.example/voice"),
            "PN2": _number("PN2", CATA),
        }
    )
    result = _app(engine_url, fake).test_cli_runner().invoke(args=["twilio", "wire", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{MAIN}: voice_url https://old.example/voice -> {BASE}/voice/incoming",
        f"{MAIN}: voice_fallback_url (none) -> {BASE}/voice/fallback",
        f"{MAIN}: status_callback (none) -> {BASE}/voice/status",
        f"{MAIN}: sms_url (none) -> {BASE}/sms/incoming",
        f"{CATA}: voice_url (none) -> {BASE}/voice/incoming",
        f"{CATA}: voice_fallback_url (none) -> {BASE}/voice/fallback",
        f"{CATA}: status_callback (none) -> {BASE}/voice/status",
        f"{CATA}: sms_url (none) -> {BASE}/sms/incoming",
        "dry run: nothing changed",
    ]
    assert fake.posted == []


def test_wiring_sets_what_differs_with_post_and_leaves_a_wired_number_alone(
    engine_url: str,
) -> None:
    done = {
        "voice_url": f"{BASE}/voice/incoming",
        "voice_fallback_url": f"{BASE}/voice/fallback",
        "status_callback": f"{BASE}/voice/status",
        "sms_url": f"{BASE}/sms/incoming",
    }
    fake = TwilioNumbers(
        {
            "PN1": _number("PN1", MAIN, **done),
            "PN2": _number("PN2", CATA, **{**done, "sms_url": "https://old.example/sms"}),
        }
    )
    app = _app(engine_url, fake)
    result = app.test_cli_runner().invoke(args=["twilio", "wire"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{MAIN}: already wired",
        f"{CATA}: sms_url https://old.example/sms -> {BASE}/sms/incoming",
    ]
    assert fake.posted == [("PN2", {"SmsUrl": f"{BASE}/sms/incoming", "SmsMethod": "POST"})]
    again = app.test_cli_runner().invoke(args=["twilio", "wire"])
    assert again.output.splitlines() == [f"{MAIN}: already wired", f"{CATA}: already wired"]


def test_a_number_the_account_does_not_have_is_named_and_fails_the_command(
    engine_url: str,
) -> None:
    fake = TwilioNumbers({"PN1": _number("PN1", MAIN)})
    result = _app(engine_url, fake).test_cli_runner().invoke(args=["twilio", "wire", "--dry-run"])
    assert result.exit_code == 1
    assert f"{CATA}: not a number of this Twilio account" in result.output
