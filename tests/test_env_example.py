"""Every setting is documented where a deployer looks: .env.example and the README."""

from __future__ import annotations

import settings
from tests.conftest import ROOT


def test_every_setting_is_in_the_env_example_and_the_readme() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    internal = {"TESTING"}  # the test suite's own switch
    missing = [
        s.name
        for s in settings.SETTINGS
        if s.name not in internal and (f"{s.name}=" not in example or f"`{s.name}`" not in readme)
    ]
    assert missing == []
