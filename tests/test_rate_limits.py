"""The public POSTs (sign-in, survey answers, the mail hook, SMS) are limited per client
address in Redis: past the rate, 429, before the view runs."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from sqlalchemy.orm import Session

from app import create_app
from settings import ConfigError
from tests.conftest import app_config
from tests.console_world import LUC, Staff, give_passwords
from tests.phone import signed_post
from web import limits

RATES = {
    "RATE_LIMITS": True,
    "SIGN_IN_RATE": "2 per minute",
    "SURVEY_RATE": "2 per minute",
    "MAIL_HOOK_RATE": "2 per minute",
    "SMS_RATE": "2 per minute",
}


@pytest.fixture
def limited_app(phone_app: Flask, db: Session, redis: Redis, engine_url: str) -> Flask:
    give_passwords(db)
    return create_app(app_config(engine_url, INBOUND_EMAIL_SECRET="s3cret-hook", **RATES))


def statuses(send: Any, times: int = 3) -> list[int]:
    return [send().status_code for _ in range(times)]


def test_a_third_sign_in_within_a_minute_is_answered_429(limited_app: Flask) -> None:
    luc = Staff(limited_app)
    assert statuses(lambda: luc.sign_in(LUC, "guess guess guess")) == [401, 401, 429]


def test_a_sign_in_past_the_rate_shows_the_form_again_with_the_wait_in_words(
    limited_app: Flask,
) -> None:
    luc = Staff(limited_app)
    for _ in range(2):
        luc.sign_in(LUC, "guess guess guess")
    refused = luc.sign_in(LUC, "guess guess guess")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert re.search(r"Trop de tentatives\. Réessayez dans (\d\d? s|[12] min)\.", page)
    assert f'value="{LUC}"' in page
    assert 1 <= int(refused.headers["Retry-After"]) <= 61  # a minute's window, rounded up


def test_the_sign_in_page_itself_is_not_limited(limited_app: Flask) -> None:
    client = limited_app.test_client()
    assert statuses(lambda: client.get("/console/sign-in"), 5) == [200] * 5


def test_another_address_is_not_slowed_by_the_first(limited_app: Flask) -> None:
    first, second = Staff(limited_app), Staff(limited_app)
    second.client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    statuses(lambda: first.sign_in(LUC, "guess guess guess"))
    assert second.sign_in(LUC).status_code == 302


def test_survey_answers_without_their_form_s_token_are_limited_too(limited_app: Flask) -> None:
    visitor = Staff(limited_app)
    form = {"score": "5", "comment": "x"}  # no token: refused before the view's own limit
    answered = statuses(lambda: visitor.client.post("/survey/no-such-token", data=form))
    assert answered == [404, 404, 429]


def test_a_limited_survey_answer_gets_a_page_in_the_browser_s_language(limited_app: Flask) -> None:
    visitor = Staff(limited_app)
    english = {"Accept-Language": "en-CA,en;q=0.8"}
    *_, last = [
        visitor.client.post("/survey/no-such-token", data={}, headers=english) for _ in range(3)
    ]
    assert last.status_code == 429
    assert "Too many answers came from your address" in last.get_data(as_text=True)


def test_survey_answers_are_limited(limited_app: Flask) -> None:
    visitor = Staff(limited_app)
    form = {"score": "5", "csrf_token": visitor.token()}  # a token of this browser's session
    answered = statuses(lambda: visitor.client.post("/survey/no-such-token", data=form))
    assert answered == [404, 404, 429]


def test_the_mail_hook_is_limited(limited_app: Flask) -> None:
    client = limited_app.test_client()
    headers = {"Authorization": "Bearer wrong"}
    posted = statuses(lambda: client.post("/email/inbound", data=b"x", headers=headers))
    assert posted == [401, 401, 429]


def test_the_sms_webhook_is_limited(limited_app: Flask) -> None:
    params = {"MessageSid": "SM" + "2" * 32, "From": "+15145550171", "Body": "STATUS"}
    answered = statuses(lambda: signed_post(limited_app, "/sms/incoming", params))
    assert answered == [200, 200, 429]


def test_the_counters_live_in_the_deployments_own_keys(limited_app: Flask, redis: Redis) -> None:
    Staff(limited_app).sign_in(LUC, "guess guess guess")
    with limited_app.app_context():
        deployment = limits.deployment()
    keys = [key.decode() if isinstance(key, bytes) else key for key in redis.keys("*limits*")]
    assert keys and all(f"/{deployment}:" in key for key in keys), keys


def test_a_rate_that_does_not_parse_stops_start_up(engine_url: str) -> None:
    with pytest.raises(ConfigError, match="SIGN_IN_RATE"):
        create_app(app_config(engine_url, SIGN_IN_RATE="often"))


def test_without_redis_the_doors_still_answer(phone_app: Flask, engine_url: str) -> None:
    unreachable = create_app(
        app_config(engine_url, REDIS_URL="redis://127.0.0.1:1/0", **RATES)  # nothing listens
    )
    visitor = Staff(unreachable)
    assert statuses(lambda: visitor.sign_in(LUC, "guess guess guess")) == [401, 401, 401]


def test_a_broken_limit_is_logged_without_the_clients_address(
    limited_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    luc = Staff(limited_app)
    luc.client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    with caplog.at_level(logging.INFO, logger="flask-limiter"):
        statuses(lambda: luc.sign_in(LUC, "guess guess guess"))
    exceeded = [r.getMessage() for r in caplog.records if "exceeded" in r.getMessage()]
    assert exceeded and not any("198.51.100.7" in line for line in exceeded)
