"""Configuration, read once into a typed, frozen ``Settings``.

The web app (``app.create_app``), the worker and the command line all start here, so the three
agree on every value. Values passed as overrides win over the environment, which wins over
``.env``; tests pass their own.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from dotenv import load_dotenv

from redaction import RedactingFormatter


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message names the variable."""


def _text(raw: str) -> str:
    return raw.strip()


def _number_list(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


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


def _count(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(f"expected 0 or more, got {raw!r}")
    return value


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError(f"expected a positive whole number, got {raw!r}")
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
    Setting("RECORDING_MAX_SECONDS", "180", _positive_int, "longest message a caller may leave"),
    Setting("TIMEZONE", "America/Toronto", _text, "the company's time zone (Montreal)"),
    Setting("BUSINESS_HOURS_FILE", "", _text, "schedules and lines (TOML); empty: the policy's"),
    Setting("SMTP_URL", "", _text, "smtp://user:pass@host:port; empty writes mail to the log"),
    Setting("MAIL_FROM", "support@altilogix.example", _text, "sender of automatic mail"),
    Setting("SUPPORT_EMAIL_REGULAR", "support-regulier@altilogix.example", _text, "regular"),
    Setting("SUPPORT_EMAIL_URGENT", "support-urgent@altilogix.example", _text, "urgent"),
    Setting("TRUSTED_PROXIES", "0", _count, "proxies in front of the web app (X-Forwarded-For)"),
    Setting("SPOOL_DIR", "instance/spool", _text, "where webhooks keep what the database missed"),
    Setting("INBOUND_EMAIL_SECRET", "", _text, "shared secret of POST /email/inbound; empty: off"),
    Setting("MAIL_MAX_BYTES", "10485760", _positive_int, "largest incoming email kept whole"),
    Setting("MAIL_REPLIES_PER_HOUR", "5", _positive_int, "automatic mails to one address an hour"),
    Setting("IMAP_URL", "", _text, "imaps://user:pass@host:993 or imap:// (STARTTLS); empty: off"),
    Setting("IMAP_FOLDER", "INBOX", _text, "the IMAP folder whose unseen mail is read"),
    Setting("IMAP_DONE_FOLDER", "", _text, "move read mail there; empty: flag it \\Seen"),
    Setting("IMAP_POLL_SECONDS", "60", _positive_float, "how often the worker reads IMAP"),
    Setting("IMAP_CA_FILE", "", _text, "CA certificates the IMAP server is checked against"),
    Setting("LOG_LEVEL", "INFO", _text, "logging level"),
    Setting("DEBUG", "false", _flag, "development mode: relaxes the production checks"),
    Setting("TESTING", "false", _flag, "the test suite: relaxes the production checks"),
    Setting("PORT", "5000", _positive_int, "port of `make run` and of the Procfile's web"),
    Setting("WEB_CONCURRENCY", "4", _positive_int, "gunicorn processes in the Procfile"),
    Setting("MAX_CONTENT_LENGTH", "262144", _positive_int, "largest request body, in bytes"),
    Setting("CONSOLE_SESSION_MINUTES", "480", _positive_int, "a console sign-in lasts this long"),
    Setting("BANK_LOW_MINUTES", "120", _positive_int, "hour bank balance that sets off an alert"),
    Setting("RECORDINGS_DIR", "instance/recordings", _text, "where callers' messages are kept"),
    Setting("RECORDINGS_DELETE_AT_TWILIO", "false", _flag, "delete it at Twilio once copied"),
)

# Without these a production process would accept forged webhooks or forgeable sessions.
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL")


@dataclass(frozen=True)
class Settings:
    """Every setting the product reads, typed; one field per entry of ``SETTINGS``."""

    database_url: str
    redis_url: str
    rq_queue: str
    outbox_relay_seconds: float
    secret_key: str
    twilio_account_sid: str
    twilio_auth_token: str
    public_base_url: str
    main_numbers: tuple[str, ...]
    cata_numbers: tuple[str, ...]
    office_number: str
    twilio_skip_signature: bool
    voice_fr: str
    voice_en: str
    urgent_page_after_hours: bool
    recording_max_seconds: int
    timezone: str
    business_hours_file: str
    smtp_url: str
    mail_from: str
    support_email_regular: str
    support_email_urgent: str
    trusted_proxies: int
    spool_dir: str
    inbound_email_secret: str
    mail_max_bytes: int
    mail_replies_per_hour: int
    imap_url: str
    imap_folder: str
    imap_done_folder: str
    imap_poll_seconds: float
    imap_ca_file: str
    log_level: str
    debug: bool
    testing: bool
    port: int
    web_concurrency: int
    max_content_length: int
    console_session_minutes: int
    bank_low_minutes: int
    recordings_dir: str
    recordings_delete_at_twilio: bool

    @property
    def development(self) -> bool:
        """A developer's machine or a test run: the production checks are relaxed."""
        return self.debug or self.testing

    @property
    def sender_number(self) -> str:
        """The support line's number, shown to technicians and clients."""
        return self.main_numbers[0] if self.main_numbers else "+15149826161"

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (by field name), for tests and commands."""
        return dataclasses.replace(self, **changes)


def load(
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Read every setting: overrides first, then the environment, then the default."""
    if environ is None:
        # A .env file beside the process fills what the environment leaves out (gunicorn, the
        # worker and the CLI alike); the environment always wins.
        load_dotenv(override=False)
        environ = os.environ
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - {s.name for s in SETTINGS})
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        values[setting.name.lower()] = _value(setting, environ, overrides)
    return Settings(**values)


def _value(setting: Setting, environ: Mapping[str, str], overrides: Mapping[str, Any]) -> Any:
    if setting.name in overrides:
        value = overrides[setting.name]
        if isinstance(value, str):
            return _parse(setting, value)
        return tuple(value) if isinstance(value, list) else value
    return _parse(setting, environ.get(setting.name, setting.default))


def _parse(setting: Setting, raw: str) -> Any:
    try:
        return setting.parse(raw)
    except ValueError as error:
        raise ConfigError(f"{setting.name}: {error}") from None


# Libraries whose INFO lines are noise, or would carry request details into our logs.
QUIET_LOGGERS = ("twilio.http_client", "alembic.runtime.plugins")


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(settings: Settings) -> None:
    """One log format for the web app, the worker and the command line, redacted: whatever
    fails, no phone number, email address or secret reaches a log line."""
    logging.basicConfig(level=settings.log_level, format=LOG_FORMAT)
    passwords = [urlparse(url).password or "" for url in (settings.smtp_url, settings.imap_url)] + [
        _database_password(settings.database_url)
    ]
    secrets = (
        settings.twilio_auth_token,
        settings.secret_key,
        settings.inbound_email_secret,
        *passwords,
    )
    for handler in logging.getLogger().handlers:
        handler.setFormatter(RedactingFormatter(LOG_FORMAT, secrets))
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def _database_password(url: str) -> str:
    try:
        return urlparse(url).password or ""
    except ValueError:  # an odd URL: the database driver will say what is wrong with it
        return ""


def check_production(settings: Settings) -> None:
    """Refuse to start a production process without its secrets, or with signatures off."""
    if settings.development:
        return
    if settings.twilio_skip_signature:
        raise ConfigError(
            "TWILIO_SKIP_SIGNATURE: the webhook signature check may be switched off only in "
            "debug or testing"
        )
    missing = [name for name in REQUIRED_IN_PRODUCTION if not getattr(settings, name.lower())]
    if missing:
        raise ConfigError(
            "missing required setting(s) outside debug and testing: "
            + ", ".join(missing)
            + " (set them in the environment or in .env; see README.md)"
        )
