"""The console speaks French first and English, each staff member in their own language."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import update
from sqlalchemy.orm import Session

from models import Language, StaffMember
from tests.console_world import DAVID, HELENE, LUC, Staff, give_passwords

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "web" / "translations" / "fr" / "LC_MESSAGES"
METHODS = [
    ("console/**.py", "python"),
    ("console/templates/**.html", "jinja2"),
    ("survey/**.py", "python"),
    ("survey/templates/**.html", "jinja2"),
    ("web/**.py", "python"),
]


def _po() -> dict[str, str]:
    with (CATALOG / "messages.po").open("rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle) if m.id}


def test_every_text_of_the_console_has_its_french_translation() -> None:
    keywords = {"_": None, "gettext": None, "lazy_gettext": None}
    texts = {
        str(message)
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT, METHODS, keywords=keywords
        )
    }
    french = _po()
    assert sorted(t for t in texts if not french.get(t)) == []


def test_the_compiled_catalog_is_the_po_file() -> None:
    with (CATALOG / "messages.mo").open("rb") as handle:
        compiled = {str(m.id): str(m.string) for m in read_mo(handle) if m.id}
    assert compiled == _po(), "run `make translations` and commit the .mo"


def test_a_visitor_gets_french_unless_their_browser_asks_for_english(phone_app: Flask) -> None:
    visitor = Staff(phone_app)
    assert "<h1>Connexion</h1>" in visitor.text("/console/sign-in")
    english = visitor.text("/console/sign-in", headers={"Accept-Language": "en-CA,en;q=0.9"})
    assert "<h1>Sign in</h1>" in english


def test_each_staff_member_reads_the_console_in_their_language(
    phone_app: Flask, db: Session
) -> None:
    give_passwords(db)
    helene, david = Staff(phone_app), Staff(phone_app)
    helene.sign_in(HELENE)
    david.sign_in(DAVID)
    assert "Journal d'appels" in helene.text("/console/calls/", headers={"Accept-Language": "en"})
    assert "Call log" in david.text("/console/calls/")
    db.execute(update(StaffMember).where(StaffMember.email == LUC).values(language=Language.EN))
    db.commit()
    luc = Staff(phone_app)
    luc.sign_in(LUC)
    assert "My tickets" in luc.text("/console/")


def test_a_word_a_page_writes_from_a_literal_follows_each_readers_language(
    phone_app: Flask,
) -> None:
    # Jinja folds a filter of a literal at compile time unless the filter reads the render's
    # context: the first reader's language would then be every reader's.
    template = phone_app.jinja_env.from_string('{{ "late"|label }}')
    with phone_app.test_request_context():
        with force_locale("fr"):
            french = template.render()
        with force_locale("en"):
            english = template.render()
    assert (french, english) == ("en retard", "late")
