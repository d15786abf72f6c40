"""Bilingual text catalogs (TOML): each key has a French and an English text, same placeholders."""

from __future__ import annotations

import string
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("fr", "en")


class CatalogError(ValueError):
    pass


@cache
def load(path: Path) -> dict[str, dict[str, str]]:
    """Read and check a catalog: both languages for every key, the same placeholders in each."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for key, texts in data.items():
        if sorted(texts) != sorted(LANGUAGES):
            raise CatalogError(f"{path.name}: {key!r} needs exactly {', '.join(LANGUAGES)}")
        if _fields(texts["fr"]) != _fields(texts["en"]):
            raise CatalogError(f"{path.name}: {key!r}: fr and en use different placeholders")
    return data


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def render(path: Path, key: str, language: str, **values: Any) -> str:
    try:
        template = load(path)[key][language]
    except KeyError:
        raise CatalogError(f"{path.name}: no text {key!r} in {language!r}") from None
    return template.format(**values)
