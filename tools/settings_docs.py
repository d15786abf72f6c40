"""Write the configuration's documentation from ``settings.SETTINGS``, its one declaration.

``python -m tools.settings_docs`` (``make settings-docs``) writes ``docs/configuration.md``,
``.env.example`` (a development example: ``make run`` takes it as it is) and
``docs/env.production.example``. A test fails when a committed file differs from what this
writes, so a setting is documented where it is declared and nowhere else.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from settings import SETTINGS, Setting

ROOT = Path(__file__).resolve().parent.parent
CONFIGURATION = ROOT / "docs" / "configuration.md"
DEVELOPMENT_EXAMPLE = ROOT / ".env.example"
PRODUCTION_EXAMPLE = ROOT / "docs" / "env.production.example"

# Left empty in the development example: `make run` fills them (see cli/local_run.py).
FILLED_BY_MAKE_RUN = {
    "SECRET_KEY": "make run keeps a development key in instance/secret_key",
    "INBOUND_EMAIL_SECRET": "make run keeps a development secret in instance/inbound_email_secret",
    "PUBLIC_BASE_URL": "make run uses http://127.0.0.1:$PORT",
    "SMTP_URL": "make run starts a local mail sink and sends there",
}
INTERNAL = {"TESTING"}  # the test suite's switch, set by the tests themselves

CONFIGURATION_HEAD = """\
# Configuration

<!-- Written by `python -m tools.settings_docs` from settings.py; edit the settings there. -->

Every process (the web app, the worker, the `flask --app app …` commands) reads its settings
once, at start-up, from the environment, then from a `.env` file in the project's folder (the
environment wins), into a typed, frozen `settings.Settings`. A value that cannot be read (a
number that is not one, a flag that is not true or false) stops the process with one line that
names the setting.

**Development and production.** With `DEBUG=true` (a developer's machine; `make run` sets it
unless `.env` or the environment says otherwise) or in the test suite, a setting left empty
takes its *development* value, and the production checks are relaxed. Outside them, the web
app and the worker refuse to start without the settings marked **required**, and say which in
one line. A command of `flask --app app …` asks only for the settings it uses: a migration
needs no Twilio token.

Examples: [`.env.example`](../.env.example) for a developer's machine (`make run` accepts it as
it is) and [`env.production.example`](env.production.example) for a production host.
"""


def configuration() -> str:
    parts = [CONFIGURATION_HEAD]
    for group, settings in _groups():
        parts.append(f"\n## {group}\n\n")
        parts.append("| variable | default | development | meaning |\n")
        parts.append("| --- | --- | --- | --- |\n")
        for setting in settings:
            parts.append(_row(setting))
    return "".join(parts)


def _row(setting: Setting) -> str:
    default = _code(setting.default) if setting.default else "(none)"
    if setting.required:
        default = "**required**"
    development = _code(setting.development) if setting.development is not None else "same"
    if setting.name in FILLED_BY_MAKE_RUN:
        development = FILLED_BY_MAKE_RUN[setting.name].replace("make run", "`make run`")
    meaning = setting.help.replace("|", "\\|")
    return f"| `{setting.name}` | {default} | {development} | {meaning} |\n"


def _code(value: str) -> str:
    return f"`{value}`"


def development_example() -> str:
    lines = [
        "# A developer's machine: `make run` accepts this file as it is (cp .env.example .env).",
        "# Every setting: docs/configuration.md. A production example: "
        "docs/env.production.example.",
        "# Written by `python -m tools.settings_docs` from settings.py.",
    ]
    for group, settings in _groups():
        lines += ["", f"# {group}"]
        for setting in settings:
            value = setting.default_for_development
            note = setting.help
            if setting.name in FILLED_BY_MAKE_RUN:
                value, note = "", f"{setting.help} (empty: {FILLED_BY_MAKE_RUN[setting.name]})"
            if setting.name == "DEBUG":
                value = "true"
            lines += [f"# {note}", f"{setting.name}={value}"]
    return "\n".join(lines) + "\n"


def production_example() -> str:
    lines = [
        "# A production host: copy to the project's folder as .env, fill in every <…>.",
        "# Every setting: docs/configuration.md. The web app and the worker refuse to start",
        "# without the settings marked (required).",
        "# Written by `python -m tools.settings_docs` from settings.py.",
    ]
    for group, settings in _groups():
        lines += ["", f"# {group}"]
        for setting in settings:
            value = setting.example if setting.example is not None else setting.default
            required = " (required)" if setting.required else ""
            lines += [f"# {setting.help}{required}", f"{setting.name}={value}"]
    return "\n".join(lines) + "\n"


def _groups() -> Iterator[tuple[str, list[Setting]]]:
    order: dict[str, list[Setting]] = {}
    for setting in SETTINGS:
        if setting.name not in INTERNAL:
            order.setdefault(setting.group, []).append(setting)
    yield from order.items()


def written() -> dict[Path, str]:
    """Each file and the text it should hold."""
    return {
        CONFIGURATION: configuration(),
        DEVELOPMENT_EXAMPLE: development_example(),
        PRODUCTION_EXAMPLE: production_example(),
    }


def main() -> int:
    for path, text in written().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
