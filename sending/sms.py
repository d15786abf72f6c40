"""SMS through Twilio's REST API (the pager).

Each SMS asks Twilio to post its delivery status to ``STATUS_PATH`` (``pager.door``): a page
that never arrives is noticed (``helpdesk.pages``). With no Twilio credentials a message is
written to the log instead: its text on a developer's machine (what they want to see), its
length elsewhere (it names clients).
"""

from __future__ import annotations

import logging

from twilio.base.exceptions import TwilioRestException

from helpdesk.context import Context
from phones import masked
from sending import LOGGED, NUMBER_REFUSED, Refused
from telephony import rest

log = logging.getLogger(__name__)
# Where Twilio posts what became of each SMS (signed, as every Twilio webhook).
STATUS_PATH = "/sms/status"


def send(context: Context, to: str, body: str) -> str:
    """Send one SMS; return Twilio's message SID."""
    settings = context.settings
    if not rest.has_credentials(settings):
        text = f": {body!r}" if settings.debug else f" ({len(body)} characters)"
        log.info("no Twilio credentials: SMS NOT sent, logged instead: to=%s%s", masked(to), text)
        return LOGGED
    try:
        callback = f"{settings.public_base_url.rstrip('/')}{STATUS_PATH}"
        status_callback = callback if settings.public_base_url else ""
        return rest.send_sms(settings, context.twilio_http, to, body, status_callback)
    except TwilioRestException as error:
        if error.status != 400:  # Twilio away, or too many requests: try again later
            raise
        raise Refused(f"Twilio {error.code}: {error.msg}"[:300], NUMBER_REFUSED) from error
