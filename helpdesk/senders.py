"""The two ways a message leaves: email over SMTP, SMS through Twilio's REST API.

With no SMTP_URL, or no Twilio credentials, a message is written to the log instead, and the
log says so: a developer's machine never sends for real by accident.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import unquote, urlparse

from twilio.rest import Client

from directory.phones import masked
from queueing import runtime

log = logging.getLogger(__name__)
LOGGED = "logged"  # the provider id of a message written to the log instead of sent


def send_email(config: Mapping[str, Any], to: str, subject: str, body: str) -> str:
    """Send one automatic email; return its Message-ID."""
    message = EmailMessage()
    sender = config["MAIL_FROM"]
    message["From"], message["To"], message["Subject"] = sender, to, subject
    # Marked automatic so that auto-responders and our own inbound mail never answer it.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body)
    url = config.get("SMTP_URL", "")
    if not url:
        log.info(
            "SMTP_URL is not set: email NOT sent, logged instead: to=%s subject=%r",
            _mask_email(to),
            subject,
        )
        return LOGGED
    with _smtp(url) as smtp:
        smtp.send_message(message)
    return str(message["Message-ID"])


def _smtp(url: str) -> smtplib.SMTP:
    target = urlparse(url)
    host = target.hostname or "127.0.0.1"
    if target.scheme == "smtps":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            host, target.port or 465, timeout=20, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(host, target.port or 25, timeout=20)
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
    if target.username:
        smtp.login(unquote(target.username), unquote(target.password or ""))
    return smtp


def send_sms(config: Mapping[str, Any], to: str, body: str) -> str:
    """Send one SMS (the pager); return Twilio's message SID."""
    sid, token = config.get("TWILIO_ACCOUNT_SID"), config.get("TWILIO_AUTH_TOKEN")
    if not sid or not token:
        log.info(
            "no Twilio credentials: SMS NOT sent, logged instead: to=%s (%d characters)",
            masked(to),
            len(body),
        )
        return LOGGED
    message = twilio_client(config).messages.create(to=to, from_=sender_number(config), body=body)
    return str(message.sid)


def twilio_client(config: Mapping[str, Any]) -> Client:
    return Client(
        config["TWILIO_ACCOUNT_SID"],
        config["TWILIO_AUTH_TOKEN"],
        http_client=runtime.twilio_http_client(),
    )


def sender_number(config: Mapping[str, Any]) -> str:
    """The support line's number, shown to technicians and clients."""
    numbers = config.get("MAIN_NUMBERS") or ["+15149826161"]
    return str(numbers[0])


def _mask_email(address: str) -> str:
    user, _, domain = address.partition("@")
    return f"{user[:1]}…@{domain}"
