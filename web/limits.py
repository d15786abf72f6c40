"""The public POSTs are limited per client address: console sign-in, survey answers, the mail
hook and the SMS webhook (Flask-Limiter, counted in the Redis the app already uses). Past its
rate, a request is answered 429 before its view runs. Redis out of reach does not stop the
doors: the requests then go unlimited (the sign-in's own limits, in the database, still hold).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse

from queueing import outbox
from settings import Settings
from web import context as web_context

# Redis slow or gone costs a request at most this, then it goes unlimited (the stub of
# storage_options says str | int; redis-py takes float seconds).
REDIS_TIMEOUTS: dict[str, Any] = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def install(app: Flask, settings: Settings) -> Limiter:
    """Limit the public POSTs of ``app`` (call once every route is registered)."""
    limiter = Limiter(
        client_of_deployment,
        app=app,
        storage_uri=settings.redis_url,
        storage_options=REDIS_TIMEOUTS,
        key_prefix=key_prefix(settings),
        strategy="moving-window",
        enabled=settings.rate_limits,
        swallow_errors=True,
        headers_enabled=True,
    )
    rates = {
        "auth.sign_in_post": settings.sign_in_rate,
        "survey.answer": settings.survey_rate,
        "email_hook.inbound": settings.mail_hook_rate,
        "sms.incoming": settings.sms_rate,
    }
    limiter.logger.addFilter(_without_client)
    # Flask-Limiter keeps only a weak reference to itself: the app holds it for good.
    app.extensions["rate_limits"] = limiter
    for endpoint, rate in rates.items():
        # Flask-Limiter checks a route's own limit in a wrapper around its view.
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = limiter.limit(rate, methods=["POST"])(view)  # type: ignore[assignment]
    return limiter


def _without_client(record: logging.LogRecord) -> bool:
    """Flask-Limiter's "ratelimit … (key) exceeded" line without its key: the client's address,
    which no log line keeps (the access log leaves it out too)."""
    if str(record.msg).startswith("ratelimit") and isinstance(record.args, tuple):
        record.args = tuple("…" if i == 1 else a for i, a in enumerate(record.args))
    return True


def allow(name: str, rate: str) -> bool:
    """Count one request of the current client against ``rate`` under ``name``, for a path the
    route's own limit never sees (an error handler that runs before the view): False past it.
    Redis out of reach lets it through, as for every limit."""
    limiter: Limiter | None = current_app.extensions.get("rate_limits")
    if limiter is None or not limiter.enabled:
        return True
    try:
        return bool(limiter.limiter.hit(parse(rate), name, client_of_deployment()))
    except Exception:  # the storage away: unlimited, as swallow_errors does for the routes
        return True


def time_to_wait() -> float | None:
    """Seconds until the limit the current request broke lets it in again, if one did."""
    limiter: Limiter | None = current_app.extensions.get("rate_limits")
    broken = limiter.current_limit if limiter is not None else None
    if broken is None or not broken.breached:
        return None
    return max(broken.reset_at - time.time(), 1.0)


def key_prefix(settings: Settings) -> str:
    return f"{settings.rq_queue}-limits"


def client_of_deployment() -> str:
    """Whom a count is about: the client's address (as ProxyFix gives it behind
    TRUSTED_PROXIES) within this deployment, named by its database's own identity as queues,
    job ids and heartbeats are (not by its URL, which hosts may spell apart)."""
    return f"{deployment()}:{get_remote_address()}"


def deployment() -> str:
    """The database's identity, read once per process (it never changes)."""
    known: dict[str, str] = current_app.extensions.setdefault("deployment", {})
    if "key" not in known:
        with web_context.current().transaction() as session:
            known["key"] = outbox.installation_key(session)[:12]
    return known["key"]
