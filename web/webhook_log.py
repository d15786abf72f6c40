"""One INFO line for each of Twilio's requests (a call's step, a pager's SMS): its route, status
and duration, written inside the request, so that it carries the call's SID and the ticket
(``log_fields``). gunicorn's access log is written once the request is gone and carries neither:
this line is the one to follow a call by.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

log = logging.getLogger("webhooks")

# The blueprints Twilio calls (ivr/steps.py, pager/door.py); the other doors have the access log.
TWILIO_BLUEPRINTS = frozenset({"ivr", "sms"})


def install(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_answered)


def _start() -> None:
    g.webhook_started = time.perf_counter()


def _answered(response: Response) -> Response:
    started = g.get("webhook_started")
    if started is None or request.blueprint not in TWILIO_BLUEPRINTS:
        return response
    route = request.url_rule.rule if request.url_rule is not None else request.path
    milliseconds = round((time.perf_counter() - started) * 1000)
    log.info(
        "webhook %s answered %s in %d ms",
        route,
        response.status_code,
        milliseconds,
        extra={"route": route, "status": response.status_code, "duration_ms": milliseconds},
    )
    return response
