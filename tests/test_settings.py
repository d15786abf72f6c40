from __future__ import annotations

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
    assert values.main_numbers == ("+15149826161",)
    assert (values.port, values.web_concurrency, values.max_content_length) == (5000, 4, 262144)


def test_number_lists_are_read_from_commas() -> None:
    values = settings.load({"CATA_NUMBERS": "+15145550150, +15145550151"})
    assert values.cata_numbers == ("+15145550150", "+15145550151")


@pytest.mark.parametrize("missing", settings.REQUIRED_IN_PRODUCTION)
def test_production_refuses_to_start_without_a_secret_and_names_it(missing: str) -> None:
    environ = {"SECRET_KEY": "s", "TWILIO_AUTH_TOKEN": "t", "PUBLIC_BASE_URL": "https://x.example"}
    del environ[missing]
    with pytest.raises(settings.ConfigError, match=missing):
        create_app({**environ, "DATABASE_URL": "sqlite://"})


def test_debug_mode_starts_without_the_production_secrets() -> None:
    app = create_app({"DEBUG": True, "DATABASE_URL": "sqlite://"})
    assert app.config["SECRET_KEY"] == ""


def test_a_bad_flag_is_refused_with_its_name() -> None:
    with pytest.raises(settings.ConfigError, match="DEBUG"):
        settings.load({"DEBUG": "perhaps"})


def test_an_unknown_override_is_refused_with_its_name() -> None:
    with pytest.raises(settings.ConfigError, match="DATABSE_URL"):
        settings.load({}, {"DATABSE_URL": "sqlite://"})


def test_settings_cannot_be_changed_once_read() -> None:
    import dataclasses

    values = settings.load({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        values.port = 1  # type: ignore[misc]


def test_every_setting_has_a_typed_field() -> None:
    import dataclasses

    fields = {field.name for field in dataclasses.fields(settings.Settings)}
    assert fields == {setting.name.lower() for setting in settings.SETTINGS}
