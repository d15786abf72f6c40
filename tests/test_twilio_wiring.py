"""``flask twilio wire``: the account's numbers pointed at this deployment through Twilio's REST
API (its HTTP side simulated, as every Twilio test here), with a dry run that changes nothing."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
from flask import Flask
from twilio.http import HttpClient
from twilio.http.response import Response
from urllib3 import HTTPSConnectionPool
from urllib3.connection import HTTPSConnection
from urllib3.exceptions import MaxRetryError, NameResolutionError

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
    """A number as Twilio keeps it: its URLs (none unless given), each called with POST (a new
    number's default) unless given."""
    urls = ("voice_url", "voice_fallback_url", "status_callback", "sms_url")
    methods = ("voice_method", "voice_fallback_method", "status_callback_method", "sms_method")
    return {
        "sid": sid,
        "phone_number": phone,
        **{f: wired.get(f, "") for f in urls},
        **{f: wired.get(f, "POST") for f in methods},
    }


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


def test_a_number_called_with_get_is_set_to_post_though_its_urls_match(
    engine_url: str,
) -> None:
    urls = {
        "voice_url": f"{BASE}/voice/incoming",
        "voice_fallback_url": f"{BASE}/voice/fallback",
        "status_callback": f"{BASE}/voice/status",
        "sms_url": f"{BASE}/sms/incoming",
    }
    methods = ("voice_method", "voice_fallback_method", "status_callback_method", "sms_method")
    fake = TwilioNumbers(
        {
            "PN1": _number("PN1", MAIN, **urls, **dict.fromkeys(methods, "GET")),
            "PN2": _number("PN2", CATA, **urls),
        }
    )
    app = _app(engine_url, fake)
    result = app.test_cli_runner().invoke(args=["twilio", "wire"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{MAIN}: voice_method GET -> POST",
        f"{MAIN}: voice_fallback_method GET -> POST",
        f"{MAIN}: status_callback_method GET -> POST",
        f"{MAIN}: sms_method GET -> POST",
        f"{CATA}: already wired",
    ]
    posted = {"VoiceMethod", "VoiceFallbackMethod", "StatusCallbackMethod", "SmsMethod"}
    assert fake.posted == [("PN1", dict.fromkeys(posted, "POST"))]
    again = app.test_cli_runner().invoke(args=["twilio", "wire"])
    assert again.output.splitlines() == [f"{MAIN}: already wired", f"{CATA}: already wired"]


@dataclass
class NoNetwork(HttpClient):  # type: ignore[misc]
    """A host without DNS: what Twilio's own HTTP client raises there (requests' error around
    urllib3's)."""

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        host = urlparse(url).hostname or ""
        failed = socket.gaierror(-3, "Temporary failure in name resolution")
        unresolved = NameResolutionError(host, HTTPSConnection(host), failed)
        retried = MaxRetryError(HTTPSConnectionPool(host), url, unresolved)
        raise requests.exceptions.ConnectionError(retried)


@dataclass
class WrongCredentials(HttpClient):  # type: ignore[misc]
    """Twilio's answer to a wrong auth token."""

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        body = {"code": 20003, "message": "Authenticate", "status": 401, "more_info": ""}
        return Response(401, json.dumps(body))


@dataclass
class ChangesRefused(TwilioNumbers):
    """Credentials that may read the numbers and not change them."""

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if method == "POST":
            return WrongCredentials().request(method, url)
        return super().request(method, url, *args, **kwargs)


@dataclass
class NetworkLostAfterAChange(TwilioNumbers):
    """The account's numbers, until the network goes away after the first change."""

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if self.posted:
            return NoNetwork().request(method, url)
        return super().request(method, url, *args, **kwargs)


def test_a_dry_run_without_network_says_so_in_one_line_and_fails(engine_url: str) -> None:
    runner = _app(engine_url, NoNetwork()).test_cli_runner()
    result = runner.invoke(args=["twilio", "wire", "--dry-run"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: Twilio could not be reached: its name could not be resolved (no network, or "
        "no DNS?); nothing changed"
    ]


def test_wrong_credentials_are_said_in_one_line_and_fail_the_command(engine_url: str) -> None:
    result = _app(engine_url, WrongCredentials()).test_cli_runner().invoke(args=["twilio", "wire"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: Twilio refused the credentials (401): check TWILIO_ACCOUNT_SID and "
        "TWILIO_AUTH_TOKEN; nothing changed"
    ]


def test_a_change_refused_is_said_in_one_line_and_fails_the_command(engine_url: str) -> None:
    fake = ChangesRefused({"PN1": _number("PN1", MAIN), "PN2": _number("PN2", CATA)})
    result = _app(engine_url, fake).test_cli_runner().invoke(args=["twilio", "wire"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Error: Twilio refused the credentials (401): check TWILIO_ACCOUNT_SID and "
        "TWILIO_AUTH_TOKEN; nothing changed"
    )


def test_a_network_lost_after_a_change_says_a_number_was_changed(engine_url: str) -> None:
    fake = NetworkLostAfterAChange({"PN1": _number("PN1", MAIN), "PN2": _number("PN2", CATA)})
    result = _app(engine_url, fake).test_cli_runner().invoke(args=["twilio", "wire"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Error: Twilio could not be reached: its name could not be resolved (no network, or "
        "no DNS?); 1 number(s) rewired before it; run it again"
    )
    assert [sid for sid, _ in fake.posted] == ["PN1"]
