"""The main menu as data: keys and words to destinations, read from ``menu.toml``."""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import i18n

MENU_FILE = Path(__file__).with_name("menu.toml")
# Where each destination of the menu file leads: a step of the call (an endpoint of /voice), or
# an action of the menu itself. A destination missing here stops start-up.
STEPS = {"regular": "ivr.regular", "urgent": "ivr.urgent", "reception": "ivr.reception"}
MENU_ACTIONS = {"repeat", "language"}
DESTINATIONS = set(STEPS) | MENU_ACTIONS
VALID_KEYS = set("0123456789*#")


class MenuError(ValueError):
    """The menu file cannot be used; the message names the option."""


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


def load(prompts: i18n.Catalog, path: Path | None = None) -> Menu:
    """Read and check the menu: keys, destinations, and each option's prompt in the catalog."""
    path = path or MENU_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        options = [_option(table, prompts) for table in data.get("option", [])]
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise MenuError(f"{path.name}: {type(error).__name__}: {error}") from None
    if len({o.digit for o in options}) != len(options):
        raise MenuError(f"{path.name}: a key is used by two options")
    return Menu(
        tuple(options),
        int(data.get("timeout_seconds", 6)),
        int(data.get("no_input_repeats", 2)),
        int(data.get("invalid_tries", 3)),
    )


def _option(table: dict[str, object], prompts: i18n.Catalog) -> Option:
    words = table.get("words", ())
    option = Option(
        str(table["digit"]),
        str(table["destination"]),
        str(table["prompt"]),
        tuple(str(w) for w in words) if isinstance(words, list | tuple) else (),
    )
    if option.digit not in VALID_KEYS or len(option.digit) != 1:
        raise MenuError(f"menu option {option.digit!r}: a key is one of 0-9, * or #")
    if option.destination not in DESTINATIONS:
        raise MenuError(f"menu option {option.digit}: unknown destination {option.destination!r}")
    if option.prompt not in prompts:
        raise MenuError(f"menu option {option.digit}: no prompt {option.prompt!r} in the catalog")
    for language in i18n.LANGUAGES:  # the prompt must take the key it announces
        try:
            prompts.render(option.prompt, language, digit=option.digit)
        except (KeyError, IndexError) as error:
            raise MenuError(
                f"menu option {option.digit}: prompt {option.prompt!r}: {error}"
            ) from None
    return option
