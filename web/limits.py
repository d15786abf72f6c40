"""The public POSTs are limited per client address: console sign-in, survey answers, the mail
hook and the SMS webhook (Flask-Limiter, counted in the Redis the app already uses). Past its
rate, a request is answered 429 before its view runs. Redis out of reach does not stop the
doors: the requests then go unlimited (the sign-in's own limits, in the database, still hold).
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from settings import Settings

# Redis slow or gone costs a request at most this, then it goes unlimited (the stub of
# storage_options says str | int; redis-py takes float seconds).
REDIS_TIMEOUTS: dict[str, Any] = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def install(app: Flask, settings: Settings) -> Limiter:
    """Limit the public POSTs of ``app`` (call once every route is registered)."""
    limiter = Limiter(
        get_remote_address,  # the client's, as ProxyFix gives it behind TRUSTED_PROXIES
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
    # Flask-Limiter keeps only a weak reference to itself: the app holds it for good.
    app.extensions["rate_limits"] = limiter
    for endpoint, rate in rates.items():
        # Flask-Limiter checks a route's own limit in a wrapper around its view.
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = limiter.limit(rate, methods=["POST"])(view)  # type: ignore[assignment]
    return limiter


def key_prefix(settings: Settings) -> str:
    """One namespace per deployment, as the queues have: the queue's name and the database's."""
    database = hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]
    return f"{settings.rq_queue}-{database}-limits"
