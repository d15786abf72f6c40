"""The web pages' language: French first, English on request, from one catalog
(``web/translations``, refreshed by ``make translations``).

A page's language is the one its reader chose (a signed-in staff member's, which the console
tells through ``reader_language``), else the one their browser asks for, else French. A page
that knows better (the survey, in its contact's language) forces its own.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask, request
from flask_babel import Babel

from i18n import LANGUAGES
from settings import Settings

TRANSLATIONS = Path(__file__).with_name("translations")


def speak(app: Flask, settings: Settings, reader_language: Callable[[], str | None]) -> None:
    app.config.update(
        BABEL_DEFAULT_LOCALE=LANGUAGES[0],
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
    )

    def choose() -> str:
        return reader_language() or request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]

    Babel(app, locale_selector=choose)
