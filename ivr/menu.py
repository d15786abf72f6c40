"""The main menu as data: keys and words to destinations, read from ``menu.toml``."""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ivr import prompts

MENU_FILE = Path(__file__).with_name("menu.toml")
DESTINATIONS = {"regular", "urgent", "reception", "repeat", "language"}
VALID_KEYS = set("0123456789*#")


@dataclass(frozen=True)
class Option:
    digit: str
    destination: str
    prompt: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Menu:
    options: tuple[Option, ...]
    timeout_seconds: int
    no_input_repeats: int
    invalid_tries: int

    def choose(self, digits: str, speech: str) -> Option | None:
        """The option for a key press, or for a word in what the caller said."""
        if digits:
            return next((o for o in self.options if o.digit == digits), None)
        heard = set(_plain(speech).split())
        return next((o for o in self.options if heard & {_plain(w) for w in o.words}), None)

    def hints(self) -> str:
        return ", ".join(word for option in self.options for word in option.words)

    def option_for(self, destination: str) -> Option | None:
        return next((o for o in self.options if o.destination == destination), None)


def _plain(text: str) -> str:
    """Lowercase, without accents or punctuation: "Réception!" → "reception"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    kept = (c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return "".join(kept)


@cache
def load(path: Path = MENU_FILE) -> Menu:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    options = []
    for table in data.get("option", []):
        option = Option(
            table["digit"], table["destination"], table["prompt"], tuple(table.get("words", ()))
        )
        if option.digit not in VALID_KEYS or len(option.digit) != 1:
            raise ValueError(f"menu option {option.digit!r}: a key is one of 0-9, * or #")
        if option.destination not in DESTINATIONS:
            raise ValueError(
                f"menu option {option.digit}: unknown destination {option.destination!r}"
            )
        prompts.text(option.prompt, "fr", digit=option.digit)  # the prompt must exist
        options.append(option)
    if len({o.digit for o in options}) != len(options):
        raise ValueError("menu: a key is used by two options")
    return Menu(
        tuple(options),
        int(data.get("timeout_seconds", 6)),
        int(data.get("no_input_repeats", 2)),
        int(data.get("invalid_tries", 3)),
    )
