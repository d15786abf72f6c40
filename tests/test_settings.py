from __future__ import annotations

import os
from pathlib import Path

import pytest

import settings
from app import create_app


def test_overrides_win_over_the_environment() -> None:
    values = settings.load({"TIMEZONE": "Europe/Paris"}, {"TIMEZONE": "America/Toronto"})
    assert values.timezone == "America/Toronto"


def test_defaults_apply_when_the_environment_is_silent() -> None:
    values = settings.load({})
    assert values.database_url == "sqlite:///instance/altilogix.db"
    assert values.redis_url == "redis://127.0.0.1:6379/0"
    assert values.timezone == "America/Toronto"
    assert (values.port, values.web_concurrency, values.max_content_length) == (5000, 4, 262144)


def test_production_has_no_default_for_the_company_s_numbers_and_addresses() -> None:
    values = settings.load({})
    assert values.main_numbers == ()
    assert values.support_email_urgent == values.mail_from == ""


def test_a_developer_s_machine_gets_example_numbers_and_addresses() -> None:
    values = settings.load({"DEBUG": "true"})
    assert values.main_numbers == ("+15149826161",)
    assert values.support_email_regular == "support-regulier@altilogix.example"
    assert values.support_email_urgent == "support-urgent@altilogix.example"
    assert values.web_concurrency == 2


def test_number_lists_are_read_from_commas() -> None:
    values = settings.load({"CATA_NUMBERS": "+15145550150, +15145550151"})
    assert values.cata_numbers == ("+15145550150", "+15145550151")


PRODUCTION = {
    "SECRET_KEY": "s",
    "TWILIO_AUTH_TOKEN": "t",
    "PUBLIC_BASE_URL": "https://support.altilogix.example",
    "MAIN_NUMBERS": "+15149826161",
    "MAIL_FROM": "support@altilogix.example",
    "SUPPORT_EMAIL_REGULAR": "support-regulier@altilogix.example",
    "SUPPORT_EMAIL_URGENT": "support-urgent@altilogix.example",
}


def test_production_starts_with_every_required_setting() -> None:
    assert set(PRODUCTION) == set(settings.REQUIRED_IN_PRODUCTION)
    create_app({**PRODUCTION, "DATABASE_URL": "sqlite://"})


@pytest.mark.parametrize("missing", settings.REQUIRED_IN_PRODUCTION)
def test_production_refuses_to_start_without_a_required_setting_and_names_it(
    missing: str,
) -> None:
    environ = {name: value for name, value in PRODUCTION.items() if name != missing}
    with pytest.raises(settings.ConfigError, match=missing):
        create_app({**environ, "DATABASE_URL": "sqlite://"})


def test_an_edited_env_file_is_read_again_and_never_copied_into_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dotenv = tmp_path / ".env"
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    dotenv.write_text("LOG_FORMAT=text\n")
    assert settings.environment(str(dotenv))["LOG_FORMAT"] == "text"
    dotenv.write_text("LOG_FORMAT=json\n")  # the operator edits it, then reloads
    assert settings.environment(str(dotenv))["LOG_FORMAT"] == "json"
    assert "LOG_FORMAT" not in os.environ


def test_the_process_environment_wins_over_the_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("LOG_FORMAT=text\n")
    monkeypatch.setenv("LOG_FORMAT", "json")
    assert settings.environment(str(dotenv))["LOG_FORMAT"] == "json"
