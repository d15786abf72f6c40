"""Every setting is documented where a deployer looks, from its one declaration."""

from __future__ import annotations

from pathlib import Path

import pytest

import settings
from tools import settings_docs


@pytest.mark.parametrize("path", list(settings_docs.written()), ids=lambda path: path.name)
def test_the_configuration_documents_are_what_the_settings_declare(path: Path) -> None:
    expected = settings_docs.written()[path]
    assert path.read_text(encoding="utf-8") == expected, (
        "out of date: run `make settings-docs` (python -m tools.settings_docs)"
    )


def test_every_setting_is_on_the_configuration_page() -> None:
    page = settings_docs.configuration()
    missing = [
        s.name for s in settings.SETTINGS if s.name != "TESTING" and f"`{s.name}`" not in page
    ]
    assert missing == []


def test_the_development_example_is_accepted_as_it_is() -> None:
    lines = settings_docs.development_example().splitlines()
    environ = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    values = settings.load(environ)
    settings.check_production(values)  # development: nothing is asked for
    assert values.debug and values.support_email_urgent == "support-urgent@altilogix.example"


def test_the_production_example_names_every_required_setting() -> None:
    example = settings_docs.production_example()
    for name in settings.REQUIRED_IN_PRODUCTION:
        assert f"(required)\n{name}=" in example, name
