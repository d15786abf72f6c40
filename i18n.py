"""Bilingual text catalogs (TOML): each key has a French and an English text, same placeholders.

A catalog is checked when it is loaded, against the keys the code uses and the placeholders it
fills in, so a missing translation stops start-up with a message naming the key instead of
failing in the middle of a call.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

LANGUAGES = ("fr", "en")


class CatalogError(ValueError):
    """A catalog cannot be used; the message names the file and the key."""


class Catalog:
    """Texts by key and language, checked complete for the keys the code uses."""

    def __init__(self, name: str, texts: Mapping[str, Mapping[str, str]]) -> None:
        self.name = name
        self.texts = texts

    def render(self, key: str, language: str, **values: Any) -> str:
        try:
            template = self.texts[key][language]
        except KeyError:
            raise CatalogError(f"{self.name}: no text {key!r} in {language!r}") from None
        return template.format(**values)

    def __contains__(self, key: str) -> bool:
        return key in self.texts


def load(path: Path, required: Mapping[str, frozenset[str]]) -> Catalog:
    """Read ``path`` and check it: every required key, in both languages, with exactly the
    placeholders the code fills in; every other key in both languages with matching ones."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CatalogError(f"{path.name}: {error}") from None
    for key, fields in required.items():
        if key not in data:
            raise CatalogError(f"{path.name}: {key!r} is missing (the code uses it)")
        _check(path.name, key, data[key], fields)
    for key, texts in data.items():
        if key not in required:
            _check(path.name, key, texts, None)
    return Catalog(path.name, data)


def _check(name: str, key: str, texts: Any, fields: frozenset[str] | None) -> None:
    if not isinstance(texts, dict) or sorted(texts) != sorted(LANGUAGES):
        raise CatalogError(f"{name}: {key!r} needs exactly {', '.join(LANGUAGES)}")
    if not all(isinstance(text, str) for text in texts.values()):
        raise CatalogError(f"{name}: {key!r}: each text must be a string")
    found = {language: _fields(texts[language]) for language in LANGUAGES}
    if found["fr"] != found["en"]:
        raise CatalogError(f"{name}: {key!r}: fr and en use different placeholders")
    if fields is not None and found["fr"] != fields:
        expected = ", ".join(sorted(fields)) or "none"
        raise CatalogError(f"{name}: {key!r}: the code fills in {expected}")


def _fields(text: str) -> frozenset[str]:
    try:
        return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)
    except ValueError as error:  # an unbalanced brace
        raise CatalogError(f"bad placeholder in {text!r}: {error}") from None


def keys(**fields: str) -> dict[str, frozenset[str]]:
    """A table of required keys: ``keys(welcome="", whisper="client contact number")``."""
    return {key: frozenset(names.split()) for key, names in fields.items()}
