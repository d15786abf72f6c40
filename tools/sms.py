"""A technician's SMS to the support number, posted to the app as Twilio posts it: signed with
the auth token, with Twilio's parameters (``make sms``)."""

from __future__ import annotations

import secrets
import urllib.error
import urllib.request
from urllib.parse import urlencode

from twilio.request_validator import SIGNATURE_HEADER, RequestValidator

import settings

# Luc Gagnon's mobile in the demo directory (examples/directory.toml).
DEMO_TECHNICIAN = "+15145550171"


def params(config: settings.Settings, sender: str, body: str) -> dict[str, str]:
    """What Twilio posts for an SMS that comes in."""
    return {
        "MessageSid": "SM" + secrets.token_hex(16),
        "AccountSid": config.twilio_account_sid or "AC" + "0" * 32,
        "From": sender,
        "To": config.sender_number,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
    }


def send(url: str, config: settings.Settings, sender: str, body: str) -> tuple[int, str]:
    """Post the SMS; (HTTP status, the TwiML answer)."""
    form = params(config, sender, body)
    public = config.public_base_url.rstrip("/") + "/sms/incoming" if config.public_base_url else url
    signature = RequestValidator(config.twilio_auth_token).compute_signature(public, form)
    request = urllib.request.Request(
        url, data=urlencode(form).encode(), headers={SIGNATURE_HEADER: signature}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode("utf-8", "replace")
