"""The two ways a message leaves: email over SMTP, SMS through Twilio's REST API.

With no SMTP_URL, or no Twilio credentials, a message is written to the log instead, and the
log says so: a developer's machine never sends for real by accident.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlparse

from twilio.http.http_client import TwilioHttpClient as TimeoutHttpClient
from twilio.rest import Client

from helpdesk.context import Context
from phones import masked
from settings import Settings

log = logging.getLogger(__name__)
REST_TIMEOUT_SECONDS = 15
LOGGED = "logged"  # the provider id of a message written to the log instead of sent


def send_email(settings: Settings, to: str, subject: str, body: str) -> str:
    """Send one automatic email; return its Message-ID."""
    message = EmailMessage()
    sender = settings.mail_from
    message["From"], message["To"], message["Subject"] = sender, to, subject
    # Marked automatic so that auto-responders and our own inbound mail never answer it.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body)
    url = settings.smtp_url
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


def send_sms(context: Context, to: str, body: str) -> str:
    """Send one SMS (the pager); return Twilio's message SID."""
    if not has_twilio(context.settings):
        log.info(
            "no Twilio credentials: SMS NOT sent, logged instead: to=%s (%d characters)",
            masked(to),
            len(body),
        )
        return LOGGED
    settings = context.settings
    message = twilio_client(context).messages.create(to=to, from_=settings.sender_number, body=body)
    return str(message.sid)


def has_twilio(settings: Settings) -> bool:
    """Credentials for Twilio's REST API; without them messages and calls are only logged."""
    return bool(settings.twilio_account_sid and settings.twilio_auth_token)


def twilio_client(context: Context) -> Client:
    settings = context.settings
    # Every REST call gives up after a while: a job never hangs on a network that is down.
    return Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        http_client=context.twilio_http or TimeoutHttpClient(timeout=REST_TIMEOUT_SECONDS),
    )


def _mask_email(address: str) -> str:
    user, _, domain = address.partition("@")
    return f"{user[:1]}…@{domain}"
