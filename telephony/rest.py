"""Twilio's REST API: an SMS sent, a call placed or looked up, a recording's audio fetched or
deleted.

Every request gives up after a while: a job never hangs on a network that is down. ``http`` is
the HTTP client to use, None for Twilio's own; tests hand in a recorder of Twilio's API.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from settings import Settings

REST_TIMEOUT_SECONDS = 15
MEDIA_TIMEOUT_SECONDS = 30  # to connect, and between two reads of a recording's audio
CHUNK_BYTES = 64 * 1024


def has_credentials(settings: Settings) -> bool:
    """Credentials for Twilio's REST API; without them messages and calls are only logged."""
    return bool(settings.twilio_account_sid and settings.twilio_auth_token)


def client(settings: Settings, http: HttpClient | None) -> Client:
    return Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        http_client=http or TwilioHttpClient(timeout=REST_TIMEOUT_SECONDS),
    )


def send_sms(
    settings: Settings, http: HttpClient | None, to: str, body: str, status_callback: str = ""
) -> str:
    """Send one SMS from SENDER_NUMBER; return its SID. Twilio posts its delivery status to
    ``status_callback`` when given. Twilio's refusal raises ``TwilioRestException`` (status
    400: refused for good)."""
    extra = {"status_callback": status_callback} if status_callback else {}
    message = client(settings, http).messages.create(
        to=to, from_=settings.sender_number, body=body, **extra
    )
    return str(message.sid)


def place_call(
    settings: Settings, http: HttpClient | None, to: str, url: str, status_callback: str
) -> str:
    """Ring ``to`` from SENDER_NUMBER; Twilio asks ``url`` what to say. Return the call's SID."""
    call = client(settings, http).calls.create(
        to=to, from_=settings.sender_number, url=url, status_callback=status_callback
    )
    return str(call.sid)


@dataclass(frozen=True)
class CallState:
    """A call as Twilio's API tells it: its status, duration (seconds, as text) and end."""

    status: str
    duration: str
    ended_at: datetime | None


def call_state(settings: Settings, http: HttpClient | None, sid: str) -> CallState | None:
    """The call's state at Twilio; None: Twilio does not know the call (it answers 404)."""
    try:
        call = client(settings, http).calls(sid).fetch()
    except TwilioRestException as error:
        if error.status == 404:
            return None
        raise
    return CallState(str(call.status or ""), str(call.duration or ""), call.end_time)


# What ``flask twilio wire`` sets on each number, by the names of Twilio's API: each URL, and
# the method Twilio calls it with (the app's routes take POST only).
NUMBER_FIELDS = {
    "voice_url": "voice_method",
    "voice_fallback_url": "voice_fallback_method",
    "status_callback": "status_callback_method",
    "sms_url": "sms_method",
}


def find_number(settings: Settings, http: HttpClient | None, number: str) -> dict[str, str] | None:
    """One of the account's phone numbers (E.164): its SID and how it is wired (its URLs and
    their methods); None: the account has no such number."""
    found = client(settings, http).incoming_phone_numbers.list(phone_number=number, limit=1)
    if not found:
        return None
    record = found[0]
    fields = [*NUMBER_FIELDS, *NUMBER_FIELDS.values()]
    return {"sid": str(record.sid), **{f: str(getattr(record, f) or "") for f in fields}}


def wire_number(
    settings: Settings, http: HttpClient | None, sid: str, fields: dict[str, str]
) -> None:
    """Set these fields (URLs, methods) on the number; a URL set is called with POST, as the
    app's routes expect."""
    posted = {NUMBER_FIELDS[name]: "POST" for name in fields if name in NUMBER_FIELDS}
    client(settings, http).incoming_phone_numbers(sid).update(**{**fields, **posted})


@contextmanager
def download(settings: Settings, http: HttpClient | None, url: str) -> Iterator[Iterable[bytes]]:
    """A media file's bytes (a recording's audio), streamed. requests drops the Authorization
    header when Twilio redirects to another host (its media storage), so the credentials go to
    Twilio alone."""
    auth = _auth(settings)
    if http is not None:
        answer = http.request("GET", url, auth=auth, timeout=MEDIA_TIMEOUT_SECONDS)
        _check(answer.status_code, url)
        yield [str(answer.content).encode()]
        return
    with requests.get(url, auth=auth, timeout=MEDIA_TIMEOUT_SECONDS, stream=True) as response:
        response.raise_for_status()
        yield response.iter_content(CHUNK_BYTES)


def delete(settings: Settings, http: HttpClient | None, url: str) -> None:
    """DELETE a resource; one already gone (404) is as good as deleted."""
    auth = _auth(settings)
    if http is not None:
        status = http.request("DELETE", url, auth=auth).status_code
    else:
        status = requests.delete(url, auth=auth, timeout=MEDIA_TIMEOUT_SECONDS).status_code
    if status != 404:
        _check(status, url)


def _auth(settings: Settings) -> tuple[str, str]:
    return settings.twilio_account_sid, settings.twilio_auth_token


def _check(status: int, url: str) -> None:
    if not 200 <= status < 300:
        raise RuntimeError(f"Twilio answered {status} to {url}")
