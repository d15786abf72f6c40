"""Configuration, read once into a typed, frozen ``Settings``.

The web app (``app.create_app``), the worker and the command line all start here, so the three
agree on every value. Values passed as overrides win over the environment, which wins over
``.env``; tests pass their own.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import limits
from dotenv import dotenv_values

from log_fields import FieldsFilter
from redaction import RedactingFormatter, RedactingJsonFormatter


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


def _number(raw: str, kind: type[int] | type[float]) -> int | float:
    try:
        return kind(raw)
    except ValueError:
        words = "a whole number" if kind is int else "a number"
        raise ValueError(f"expected {words}, got {raw!r}") from None


def _positive_float(raw: str) -> float:
    value = float(_number(raw, float))
    if value <= 0:
        raise ValueError(f"expected a positive number, got {raw!r}")
    return value


def _count(raw: str) -> int:
    value = int(_number(raw, int))
    if value < 0:
        raise ValueError(f"expected 0 or more, got {raw!r}")
    return value


def _rates(raw: str) -> str:
    """Flask-Limiter's notation, checked now: "10 per minute; 50 per hour"."""
    try:
        limits.parse_many(raw)
    except ValueError:
        raise ValueError(
            f'expected rates such as "10 per minute; 50 per hour", got {raw!r}'
        ) from None
    return raw.strip()


def _file_storage(raw: str) -> str:
    if raw not in ("database", "s3"):
        raise ValueError(f"expected database or s3, got {raw!r}")
    return raw


def _log_format(raw: str) -> str:
    if raw not in ("text", "json"):
        raise ValueError(f"expected text or json, got {raw!r}")
    return raw


def _positive_int(raw: str) -> int:
    value = int(_number(raw, int))
    if value <= 0:
        raise ValueError(f"expected a positive whole number, got {raw!r}")
    return value


@dataclass(frozen=True)
class Setting:
    """One environment variable: its default, how it is read, and what it means.

    ``docs/configuration.md``, ``.env.example`` and ``docs/env.production.example`` are written
    from these (``python -m tools.settings_docs``); a test keeps them equal.
    """

    name: str
    default: str  # outside development; "" with required=True: production must set it
    parse: Callable[[str], Any]
    help: str
    group: str
    development: str | None = None  # the value on a developer's machine or in tests, when unset
    example: str | None = None  # the production example's value, when it differs from default
    required: bool = False  # production refuses to start without it

    @property
    def default_for_development(self) -> str:
        return self.default if self.development is None else self.development


DATA = "The database and the queue"
PHONE = "Twilio and the phone line"
MAIL = "Email"
WEB = "The web server and the staff console"
WORK = "Tickets, hour banks and recordings"
RUN = "Logs and modes"

# Every environment variable the product reads, in the order the documentation shows them.
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATABASE_URL",
        "sqlite:///instance/altilogix.db",
        _text,
        "SQLAlchemy URL of the database; PostgreSQL in production: "
        "postgresql+psycopg://user:pass@host/db",
        DATA,
        example="postgresql+psycopg://altilogix:secret@127.0.0.1:5432/altilogix",
    ),
    Setting("REDIS_URL", "redis://127.0.0.1:6379/0", _text, "Redis, for RQ", DATA),
    Setting("RQ_QUEUE", "altilogix", _text, "the RQ queue the app fills and workers serve", DATA),
    Setting(
        "OUTBOX_RELAY_SECONDS",
        "2",
        _positive_float,
        "how often each worker moves due outbox rows to RQ, in seconds",
        DATA,
    ),
    Setting(
        "SECRET_KEY",
        "",
        _text,
        "signs the console's sessions and forms",
        WEB,
        example="<python3 -c 'import secrets; print(secrets.token_hex(32))'>",
        required=True,
    ),
    Setting(
        "TWILIO_ACCOUNT_SID",
        "",
        _text,
        "the Twilio account, for SMS pages and callback calls; empty: they are written to the log",
        PHONE,
        example="AC<your account SID>",
    ),
    Setting(
        "TWILIO_AUTH_TOKEN",
        "",
        _text,
        "checks the signature of Twilio's webhooks, and sends with the account SID",
        PHONE,
        development="local-development-only",
        example="<your Twilio auth token>",
        required=True,
    ),
    Setting(
        "PUBLIC_BASE_URL",
        "",
        _text,
        "the https address Twilio and clients reach the app at; signatures are checked against "
        "it, and links in emails point there",
        PHONE,
        example="https://support.altilogix.example",
        required=True,
    ),
    Setting(
        "MAIN_NUMBERS",
        "",
        _number_list,
        "comma-separated numbers whose callers get the menu; the first is the SMS sender and "
        "the caller ID technicians see",
        PHONE,
        development="+15149826161",
        example="+15149826161",
        required=True,
    ),
    Setting(
        "CATA_NUMBERS",
        "",
        _number_list,
        "comma-separated numbers that go straight to urgent support (the CATA)",
        PHONE,
    ),
    Setting("OFFICE_NUMBER", "", _text, "the reception's phone, rung by menu option 0", PHONE),
    Setting(
        "TWILIO_SKIP_SIGNATURE",
        "false",
        _flag,
        "accept unsigned webhooks; refused outside development",
        PHONE,
    ),
    Setting("VOICE_FR", "Polly.Chantal", _text, "Twilio voice for French (fr-CA)", PHONE),
    Setting("VOICE_EN", "alice", _text, "Twilio voice for English (en-CA)", PHONE),
    Setting(
        "URGENT_PAGE_AFTER_HOURS",
        "false",
        _flag,
        "page the urgent team at night instead of at the CATA's opening",
        PHONE,
    ),
    Setting(
        "RECORDING_MAX_SECONDS",
        "180",
        _positive_int,
        "the longest message a caller may leave",
        PHONE,
    ),
    Setting("TIMEZONE", "America/Toronto", _text, "the company's time zone (Montreal)", PHONE),
    Setting(
        "BUSINESS_HOURS_FILE",
        "",
        _text,
        "schedules, holiday choices and the lines' promises (TOML); empty: "
        "routing/business_hours.toml, the policy's",
        PHONE,
    ),
    Setting(
        "SMTP_URL",
        "",
        _text,
        "outgoing mail: smtp://user:pass@host:587 (STARTTLS when offered) or smtps://…:465; "
        "empty: mail is written to the log",
        MAIL,
        example="smtp://altilogix:secret@smtp.altilogix.example:587",
    ),
    Setting(
        "MAIL_FROM",
        "",
        _text,
        "the sender of automatic mail",
        MAIL,
        development="support@altilogix.example",
        example="support@altilogix.example",
        required=True,
    ),
    Setting(
        "SUPPORT_EMAIL_REGULAR",
        "",
        _text,
        "the regular support address: mail to it opens regular tickets",
        MAIL,
        development="support-regulier@altilogix.example",
        example="support-regulier@altilogix.example",
        required=True,
    ),
    Setting(
        "SUPPORT_EMAIL_URGENT",
        "",
        _text,
        "the urgent support address: mail to it opens urgent tickets",
        MAIL,
        development="support-urgent@altilogix.example",
        example="support-urgent@altilogix.example",
        required=True,
    ),
    Setting(
        "INBOUND_EMAIL_SECRET",
        "",
        _text,
        "the bearer secret of POST /email/inbound; empty: the HTTP door refuses everything",
        MAIL,
        example="<a long random secret shared with the inbound mail provider>",
    ),
    Setting(
        "MAIL_MAX_BYTES",
        "10485760",
        _positive_int,
        "the most of one incoming email kept, in bytes: its text and the attachments that fit; "
        "the others are set aside, and the client is told which",
        MAIL,
    ),
    Setting(
        "MAIL_ACCEPT_MAX_BYTES",
        "52428800",
        _positive_int,
        "the largest incoming email the doors take, in bytes; a bigger one is refused (HTTP "
        "413, or the pipe's exit 69), so the sender's mail server bounces it to them",
        MAIL,
    ),
    Setting(
        "MAIL_LOOP_BURST",
        "4",
        _positive_int,
        "this many replies (Re:, In-Reply-To) from one sender within MAIL_LOOP_MINUTES look "
        "like a mail loop: the automatic answer to the last is held for a supervisor; an email "
        "that is not a reply is always acknowledged, and counts for nothing",
        MAIL,
    ),
    Setting(
        "MAIL_LOOP_MINUTES",
        "10",
        _positive_int,
        "the window of MAIL_LOOP_BURST, in minutes",
        MAIL,
    ),
    Setting(
        "MAIL_READ_SECONDS",
        "3",
        _positive_float,
        "the longest one incoming email may take to read; a slower one is quarantined (every "
        "email is measured first: too many parts, too deep or too many headers is quarantined "
        "at once)",
        MAIL,
    ),
    Setting(
        "MAIL_AUTHSERV_ID",
        "",
        _text,
        "the authserv-id of the receiving mail server whose Authentication-Results are trusted "
        "(SPF, DKIM, DMARC); set, mail without its passing results opens no ticket and threads "
        "on none; empty: senders are not checked (a developer's machine)",
        MAIL,
        example="mx.altilogix.example",
    ),
    Setting(
        "MAIL_VERIFY_DKIM",
        "false",
        _flag,
        "verify incoming DKIM signatures here too (DNS lookups by the worker); a valid signature "
        "of the From's domain counts as passing",
        MAIL,
    ),
    Setting(
        "MAIL_STRANGER_ANSWERS_PER_HOUR",
        "20",
        _positive_int,
        "the most replies to senders who may not open requests sent in one hour, all senders "
        "together (each sender gets one a day at most)",
        MAIL,
    ),
    Setting(
        "REOPEN_DAYS",
        "14",
        _positive_int,
        "a resolved ticket the client answers within this many days is reopened; after them it "
        "is closed (internally: the client was told at its resolution), and an answer opens a "
        "new ticket",
        WORK,
    ),
    Setting(
        "IMAP_URL",
        "",
        _text,
        "IMAP polling by the worker: imaps://user:pass@host:993, or imap://…:143 with "
        "STARTTLS; empty: no polling",
        MAIL,
    ),
    Setting("IMAP_FOLDER", "INBOX", _text, "the IMAP folder whose unseen mail is read", MAIL),
    Setting(
        "IMAP_DONE_FOLDER",
        "",
        _text,
        "where read mail is moved once stored; empty: it is flagged \\Seen where it is",
        MAIL,
    ),
    Setting("IMAP_POLL_SECONDS", "60", _positive_float, "how often the IMAP folder is read", MAIL),
    Setting(
        "IMAP_CA_FILE",
        "",
        _text,
        "CA certificates the IMAP server is checked against; empty: the system's",
        MAIL,
    ),
    Setting(
        "TRUSTED_PROXIES",
        "0",
        _count,
        "how many proxies stand in front of the web app (a TLS-ending proxy: 1); "
        "X-Forwarded-For is read from that many; 0 trusts no header",
        WEB,
        example="1",
    ),
    Setting(
        "SPOOL_DIR",
        "instance/spool",
        _text,
        "where a webhook keeps what the database could not take, until it is back "
        "(local to each web host)",
        WEB,
        example="/srv/altilogix/instance/spool",
    ),
    Setting("PORT", "5000", _positive_int, "the port the web server listens on", WEB),
    Setting(
        "WEB_CONCURRENCY",
        "4",
        _positive_int,
        "gunicorn's worker processes (gunicorn.conf.py)",
        WEB,
        development="2",
    ),
    Setting(
        "MAX_CONTENT_LENGTH",
        "262144",
        _positive_int,
        "the largest request body accepted, in bytes (Twilio's are a few kilobytes)",
        WEB,
    ),
    Setting(
        "CONSOLE_SESSION_MINUTES",
        "480",
        _positive_int,
        "how long a sign-in to the staff console lasts at most, in minutes",
        WEB,
    ),
    Setting(
        "RATE_LIMITS",
        "true",
        _flag,
        "limit the public POSTs per client address (sign-in, survey, mail hook, SMS), "
        "counted in Redis (REDIS_URL); an excess is answered 429",
        WEB,
    ),
    Setting(
        "SIGN_IN_RATE",
        "10 per minute; 60 per hour",
        _rates,
        "console sign-in attempts (POST) per client address",
        WEB,
    ),
    Setting(
        "SURVEY_RATE",
        "10 per minute; 60 per hour",
        _rates,
        "survey answers (POST) per client address",
        WEB,
    ),
    Setting(
        "MAIL_HOOK_RATE",
        "120 per minute",
        _rates,
        "POSTs to the inbound-mail hook per client address (the mail provider's)",
        WEB,
    ),
    Setting(
        "SMS_RATE",
        "120 per minute",
        _rates,
        "POSTs to the SMS webhook per client address (Twilio's)",
        WEB,
    ),
    Setting(
        "CONSOLE_IDLE_MINUTES",
        "60",
        _positive_int,
        "a console session unused this many minutes is ended",
        WEB,
    ),
    Setting(
        "BANK_LOW_MINUTES",
        "120",
        _positive_int,
        "an hour bank below this many minutes alerts its client's contacts and the "
        "supervisors, once per crossing (a bank used up alerts whatever this threshold)",
        WORK,
    ),
    Setting(
        "RECORDINGS_DIR",
        "instance/recordings",
        _text,
        "where older versions kept the messages' copies (`flask recordings move` moves them)",
        WORK,
    ),
    Setting(
        "FILE_STORAGE",
        "database",
        _file_storage,
        "where recordings are kept, for every host: database (in chunks) or s3 (S3_BUCKET)",
        WORK,
    ),
    Setting("S3_BUCKET", "", _text, "the bucket, with FILE_STORAGE=s3", WORK),
    Setting(
        "S3_ENDPOINT_URL",
        "",
        _text,
        "an S3-compatible service's URL (MinIO, Ceph…); empty: Amazon S3",
        WORK,
    ),
    Setting("S3_REGION", "", _text, "the bucket's region; empty: the service's default", WORK),
    Setting("S3_ACCESS_KEY_ID", "", _text, "the key id for the bucket", WORK),
    Setting("S3_SECRET_ACCESS_KEY", "", _text, "the secret key for the bucket", WORK),
    Setting(
        "RECORDINGS_KEEP_DAYS",
        "0",
        _count,
        "delete our copy of a caller's message this many days after the call (0: keep it)",
        WORK,
    ),
    Setting(
        "RECORDINGS_DELETE_AT_TWILIO",
        "false",
        _flag,
        "once our copy is kept, delete the recording at Twilio",
        WORK,
    ),
    Setting("LOG_LEVEL", "INFO", _text, "the logging level", RUN),
    Setting(
        "LOG_FORMAT",
        "text",
        _log_format,
        "text, or json: one JSON object a line, with the call, ticket and job it concerns",
        RUN,
    ),
    Setting(
        "METRICS_TOKEN",
        "",
        _text,
        "the bearer token /metrics asks for (Prometheus' bearer_token); empty: no /metrics",
        RUN,
    ),
    Setting(
        "METRICS_DIR",
        "instance/metrics",
        _text,
        "where gunicorn's workers keep their request timings for /metrics (emptied at start)",
        RUN,
        example="/srv/altilogix/instance/metrics",
    ),
    Setting(
        "DEBUG",
        "false",
        _flag,
        "a developer's machine: development defaults, and the production checks relaxed "
        "(`make run` sets it unless told otherwise)",
        RUN,
    ),
    Setting("TESTING", "false", _flag, "the test suite's own switch", RUN),
)

# Without these a production process would accept forged webhooks or forgeable sessions, or
# answer and write from addresses and numbers that are not the company's.
REQUIRED_IN_PRODUCTION = tuple(s.name for s in SETTINGS if s.required)


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
    mail_accept_max_bytes: int
    mail_loop_burst: int
    mail_loop_minutes: int
    mail_read_seconds: float
    mail_authserv_id: str
    mail_verify_dkim: bool
    mail_stranger_answers_per_hour: int
    reopen_days: int
    imap_url: str
    imap_folder: str
    imap_done_folder: str
    imap_poll_seconds: float
    imap_ca_file: str
    log_level: str
    log_format: str
    metrics_token: str
    metrics_dir: str
    debug: bool
    testing: bool
    port: int
    web_concurrency: int
    max_content_length: int
    console_session_minutes: int
    console_idle_minutes: int
    rate_limits: bool
    sign_in_rate: str
    survey_rate: str
    mail_hook_rate: str
    sms_rate: str
    bank_low_minutes: int
    recordings_dir: str
    file_storage: str
    s3_bucket: str
    s3_endpoint_url: str
    s3_region: str
    s3_access_key_id: str
    s3_secret_access_key: str
    recordings_keep_days: int
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
    """Read every setting: overrides first, then the environment, then the default (the
    development one on a developer's machine or in tests, where the setting has one)."""
    if environ is None:
        environ = environment()
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - {s.name for s in SETTINGS})
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
    development = any(_flag_of(name, environ, overrides) for name in ("DEBUG", "TESTING"))
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        values[setting.name.lower()] = _value(setting, environ, overrides, development)
    if values["file_storage"] == "s3" and not values["s3_bucket"]:
        raise ConfigError("FILE_STORAGE=s3 needs S3_BUCKET")
    return Settings(**values)


def environment(dotenv_file: str | None = None) -> dict[str, str]:
    """The process's environment over the project's .env file (gunicorn, the worker and the CLI
    alike): the environment always wins. The file is read each time, never copied into
    ``os.environ``: a reload (gunicorn's HUP) then reads an edited file, where a copy would have
    kept the old values ahead of it."""
    from_file = dotenv_values(dotenv_file) if dotenv_file else dotenv_values()
    return {**{k: v for k, v in from_file.items() if v is not None}, **os.environ}


def _flag_of(name: str, environ: Mapping[str, str], overrides: Mapping[str, Any]) -> bool:
    if name in overrides and not isinstance(overrides[name], str):
        return bool(overrides[name])
    raw = overrides.get(name, environ.get(name, "false"))
    try:
        return _flag(str(raw))
    except ValueError as error:
        raise ConfigError(f"{name}: {error}") from None


def _value(
    setting: Setting, environ: Mapping[str, str], overrides: Mapping[str, Any], development: bool
) -> Any:
    if setting.name in overrides:
        value = overrides[setting.name]
        if isinstance(value, str):
            return _parse(setting, value)
        return tuple(value) if isinstance(value, list) else value
    raw = environ.get(setting.name)
    if development and setting.development is not None and not (raw or "").strip():
        raw = setting.development  # an empty line of .env means "the usual", here
    return _parse(setting, setting.default if raw is None else raw)


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
    secrets = log_secrets(settings)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, FieldsFilter) for f in handler.filters):
            handler.addFilter(FieldsFilter())  # the call, ticket and job a line is about
        if settings.log_format == "json":
            handler.setFormatter(RedactingJsonFormatter(secrets))
        else:
            handler.setFormatter(RedactingFormatter(LOG_FORMAT, secrets))
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def log_secrets(settings: Settings) -> tuple[str, ...]:
    """The settings' secrets, masked in every log line (the app's and gunicorn's)."""
    urls = (settings.smtp_url, settings.imap_url, settings.redis_url)
    passwords = [urlparse(url).password or "" for url in urls]
    return (
        settings.twilio_auth_token,
        settings.secret_key,
        settings.inbound_email_secret,
        settings.s3_secret_access_key,
        settings.metrics_token,
        *passwords,
        _database_password(settings.database_url),
    )


def _database_password(url: str) -> str:
    try:
        return urlparse(url).password or ""
    except ValueError:  # an odd URL: the database driver will say what is wrong with it
        return ""


def check_production(settings: Settings) -> None:
    """Refuse to start a production process (web, worker) without what it needs, or with
    signatures off."""
    if settings.development:
        return
    if settings.twilio_skip_signature:
        raise ConfigError(
            "TWILIO_SKIP_SIGNATURE: the webhook signature check may be switched off only in "
            "debug or testing"
        )
    require(settings, REQUIRED_IN_PRODUCTION)


def require(settings: Settings, names: Iterable[str]) -> None:
    """Outside development, refuse in one line, naming each, the settings among ``names`` that
    are missing."""
    if settings.development:
        return
    missing = [name for name in names if not getattr(settings, name.lower())]
    if missing:
        raise ConfigError(
            "missing setting(s) outside debug and testing: "
            + ", ".join(missing)
            + " (set them in the environment or in .env; see docs/configuration.md)"
        )
