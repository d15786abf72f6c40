"""The prompt catalog: every sentence heard on the line, in fr-CA and en-CA, spoken with <Say>."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twilio.twiml.voice_response import Gather, VoiceResponse

import i18n

CATALOG_FILE = Path(__file__).with_name("prompts.toml")
LOCALES = {"fr": "fr-CA", "en": "en-CA"}


def catalog() -> dict[str, dict[str, str]]:
    return i18n.load(CATALOG_FILE)


def text(key: str, language: str, **values: Any) -> str:
    return i18n.render(CATALOG_FILE, key, language, **values)


class Speaker:
    """Says catalog prompts with the configured voice for each language."""

    def __init__(self, voices: dict[str, str]) -> None:
        self.voices = voices

    def say(self, verb: VoiceResponse | Gather, key: str, language: str, **values: Any) -> None:
        verb.say(
            text(key, language, **values), voice=self.voices[language], language=LOCALES[language]
        )
