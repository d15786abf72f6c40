"""Email over SMTP: the MIME message (text and HTML, marked automatic), then the server.

With no SMTP_URL a message is written to the log instead, and the log says so: a developer's
machine never sends for real by accident.
"""

from __future__ import annotations

import html
import logging
import re
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import unquote, urlparse

from mail.reading import OWN_HEADER
from sending import (
    LOGGED,
    MESSAGE_REFUSED,
    RECIPIENT_REFUSED,
    SENDER_REFUSED,
    Deferred,
    Refused,
)
from settings import Settings

log = logging.getLogger(__name__)
# A line that is nothing but a web address (the survey's link), made clickable in HTML mail.
_LINK = re.compile(r"https?://[^\s<>\"']+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


@dataclass(frozen=True)
class Letter:
    """One email. ``message_id`` (without <>) is made in advance for mail whose replies must
    thread; ``in_reply_to`` threads it under that message (an auto-reply to it, when automatic).
    ``automatic`` False: a person's own words (a technician's public note), not marked so."""

    to: str
    subject: str
    text: str
    sender: str = ""  # empty: MAIL_FROM
    message_id: str | None = None
    in_reply_to: str | None = None
    ticket_number: int | None = None
    html: bool = False  # add an HTML alternative made from the text
    languages: tuple[str, ...] = ()  # what it is written in, first the one it opens with
    automatic: bool = True


def send_email(settings: Settings, to: str, subject: str, body: str) -> str:
    """Send one automatic email; return its Message-ID."""
    return send_letter(settings, Letter(to, subject, body))


def send_letter(settings: Settings, letter: Letter) -> str:
    """Send one automatic email; return its Message-ID."""
    message = compose(settings, letter)
    url = settings.smtp_url
    if not url:
        log.info(
            "SMTP_URL is not set: email NOT sent, logged instead: to=%s subject=%r",
            _mask_email(letter.to),
            letter.subject,
        )
        return LOGGED
    try:
        with _smtp(url) as smtp:
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as refused:
        answers = list(refused.recipients.values())
        if any(code < 500 for code, _ in answers):  # 4xx (greylisting): try again later
            raise Deferred(_refusal(answers)) from refused
        raise Refused(_refusal(answers), RECIPIENT_REFUSED) from refused
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
        answer = [(error.smtp_code, error.smtp_error)]
        if error.smtp_code < 500:
            raise Deferred(_refusal(answer)) from error
        reason = SENDER_REFUSED if isinstance(error, smtplib.SMTPSenderRefused) else MESSAGE_REFUSED
        raise Refused(_refusal(answer), reason) from error
    return str(message["Message-ID"])


def _refusal(answers: Iterable[tuple[int, bytes | str]]) -> str:
    """The server's own words, for the ticket's page (they name no one but the address)."""
    said = [
        f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
        for code, text in answers
    ]
    return "; ".join(said)[:300]


def compose(settings: Settings, letter: Letter) -> EmailMessage:
    """The MIME message: UTF-8 text (and HTML); automatic mail marked so, so that auto-responders
    and our own intake never answer it (RFC 3834)."""
    message = EmailMessage()
    sender = letter.sender or settings.mail_from
    message["From"], message["To"], message["Subject"] = sender, letter.to, letter.subject
    message["Date"] = format_datetime(datetime.now(UTC))  # RFC 5322 asks for it; clients sort by it
    if letter.automatic:
        message["Auto-Submitted"] = "auto-replied" if letter.in_reply_to else "auto-generated"
        message["X-Auto-Response-Suppress"] = "All"
    # A person's message is not automatic (RFC 3834 5.1): neither mark. The client's out-of-office
    # answer or a bounce then reaches the ticket (``mail.intake`` notes it, never answers it),
    # which is what the technician who wrote needs to know.
    domain = settings.mail_from.rpartition("@")[2] or None
    message["Message-ID"] = (
        f"<{letter.message_id}>" if letter.message_id else make_msgid(domain=domain)
    )
    if letter.in_reply_to:
        message["In-Reply-To"] = message["References"] = f"<{letter.in_reply_to}>"
    if letter.ticket_number is not None:
        message[OWN_HEADER] = str(letter.ticket_number)
    message.set_content(letter.text)
    if letter.html:
        first = letter.languages[0] if letter.languages else ""
        message.add_alternative(as_html(letter.text, first), subtype="html")
    if letter.languages:  # last: set_content and add_alternative move or drop Content-* fields
        message["Content-Language"] = ", ".join(letter.languages)
    return message


def as_html(text: str, language: str = "") -> str:
    """The text as HTML: one paragraph per block, its lines kept, its https links clickable."""
    # A blank line ends a paragraph, however many follow it or whatever spaces it holds.
    blocks = [block for block in _PARAGRAPH_BREAK.split(text.strip()) if block.strip()]
    paragraphs = "".join(
        "<p>" + "<br>\n".join(_html_line(line) for line in block.splitlines()) + "</p>\n"
        for block in blocks
    )
    lang = f' lang="{html.escape(language)}"' if language else ""
    head = f'<!DOCTYPE html>\n<html{lang}><head><meta charset="utf-8"></head><body>\n'
    return f"{head}{paragraphs}</body></html>\n"


def _html_line(line: str) -> str:
    """One line, escaped; a line that is a link alone (the survey's) becomes an anchor."""
    escaped = html.escape(line)
    if _LINK.fullmatch(line.strip()):
        return f'<a href="{escaped.strip()}">{escaped.strip()}</a>'
    return escaped


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
        elif target.username:
            # A password never crosses the network in clear: a server that offers no STARTTLS
            # (or an attacker who removed the offer) gets no login.
            smtp.close()
            raise smtplib.SMTPNotSupportedError(
                "the mail server offers no STARTTLS: credentials not sent (use smtps://)"
            )
    if target.username:
        smtp.login(unquote(target.username), unquote(target.password or ""))
    return smtp


def _mask_email(address: str) -> str:
    user, _, domain = address.partition("@")
    return f"{user[:1]}…@{domain}"
