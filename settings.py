"""Configuration, read once from the environment into a plain dict.

The web app (``app.create_app``), the worker and the command line all start here, so the three
agree on every value. Values passed as overrides win over the environment; tests pass their own.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dotenv import load_dotenv


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message names the variable."""


def _text(raw: str) -> str:
    return raw.strip()


def _number_list(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _flag(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _positive_float(raw: str) -> float:
    value = float(raw)
    if value <= 0:
        raise ValueError(f"expected a positive number, got {raw!r}")
    return value


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    parse: Callable[[str], Any]
    help: str


# Every environment variable the product reads. README.md and .env.example document each one.
SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", "sqlite:///instance/altilogix.db", _text, "SQLAlchemy database URL"),
    Setting("REDIS_URL", "redis://127.0.0.1:6379/0", _text, "Redis for RQ"),
    Setting("RQ_QUEUE", "altilogix", _text, "name of the RQ queue the worker serves"),
    Setting("OUTBOX_RELAY_SECONDS", "2", _positive_float, "how often the worker relays the outbox"),
    Setting("SECRET_KEY", "", _text, "signs web sessions; required in production"),
    Setting("TWILIO_ACCOUNT_SID", "", _text, "Twilio account for the REST API"),
    Setting("TWILIO_AUTH_TOKEN", "", _text, "checks webhook signatures; required in production"),
    Setting("PUBLIC_BASE_URL", "", _text, "https URL Twilio sees; required in production"),
    Setting("MAIN_NUMBERS", "+15149826161", _number_list, "numbers that get the menu"),
    Setting("CATA_NUMBERS", "", _number_list, "numbers that go straight to urgent support"),
    Setting("OFFICE_NUMBER", "", _text, "reception phone rung by menu option 0"),
    Setting(
        "TWILIO_SKIP_SIGNATURE", "false", _flag, "debug/testing only: accept unsigned webhooks"
    ),
    Setting("VOICE_FR", "Polly.Chantal", _text, "Twilio voice for French (fr-CA)"),
    Setting("VOICE_EN", "alice", _text, "Twilio voice for English (en-CA)"),
    Setting("URGENT_PAGE_AFTER_HOURS", "false", _flag, "page at night instead of at the opening"),
    Setting("RECORDING_MAX_SECONDS", "180", _positive_float, "longest message a caller may leave"),
    Setting("TIMEZONE", "America/Toronto", _text, "the company's time zone (Montreal)"),
    Setting("BUSINESS_HOURS_FILE", "", _text, "schedules and lines (TOML); empty: the policy's"),
    Setting("SMTP_URL", "", _text, "smtp://user:pass@host:port; empty writes mail to the log"),
    Setting("MAIL_FROM", "support@altilogix.example", _text, "sender of automatic mail"),
    Setting("SUPPORT_EMAIL_REGULAR", "support-regulier@altilogix.example", _text, "regular"),
    Setting("SUPPORT_EMAIL_URGENT", "support-urgent@altilogix.example", _text, "urgent"),
    Setting("LOG_LEVEL", "INFO", _text, "logging level"),
    Setting("DEBUG", "false", _flag, "development mode: relaxes the production checks"),
)

# Without these a production process would accept forged webhooks or forgeable sessions.
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL")


def load(
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Read every setting: overrides first, then the environment, then the default."""
    if environ is None:
        # A .env file beside the process fills what the environment leaves out (gunicorn, the
        # worker and the CLI alike); the environment always wins.
        load_dotenv(override=False)
        environ = os.environ
    overrides = overrides or {}
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.name in overrides:
            values[setting.name] = overrides[setting.name]
            continue
        raw = environ.get(setting.name, setting.default)
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as error:
            raise ConfigError(f"{setting.name}: {error}") from None
    extra = {key: value for key, value in overrides.items() if key not in values}
    values.update(extra)
    values.setdefault("TESTING", False)
    return values


# Libraries whose INFO lines are noise, or would carry request details into our logs.
QUIET_LOGGERS = ("twilio.http_client", "alembic.runtime.plugins")


def configure_logging(values: Mapping[str, Any]) -> None:
    """One log format for the web app, the worker and the command line."""
    logging.basicConfig(
        level=values["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def development(values: Mapping[str, Any]) -> bool:
    """A developer's machine or a test run: the production checks are relaxed."""
    return bool(values.get("DEBUG") or values.get("TESTING"))


def check_production(values: Mapping[str, Any]) -> None:
    """Refuse to start a production process without its secrets, or with signatures off."""
    if development(values):
        return
    if values.get("TWILIO_SKIP_SIGNATURE"):
        raise ConfigError(
            "TWILIO_SKIP_SIGNATURE: the webhook signature check may be switched off only in "
            "debug or testing"
        )
    missing = [name for name in REQUIRED_IN_PRODUCTION if not values.get(name)]
    if missing:
        raise ConfigError(
            "missing required setting(s) outside debug and testing: "
            + ", ".join(missing)
            + " (set them in the environment or in .env; see README.md)"
        )
