"""The console's words in a real browser (Debian's Chromium, Playwright): a French supervisor
reads no raw code, a technician switches to English, a note typed before the session ended comes
back after signing in, and a missing page leads back."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from models import Quarantine
from tests import test_console_browser as ui
from tests.console_world import HELENE, LUC, PASSWORD

browser, served, _sign_in = ui.browser, ui.served, ui._sign_in  # its fixtures, and signing in

# Codes the model stores, which a French page must word.
RAW_CODES = (
    "in-progress",
    "completed",
    "email_in",
    "email_out",
    "not_a_message",
    "language_chosen",
    "option_chosen",
    "(regular)",
    "unknown caller",
    "+1514",
)


def _raw_codes_in(page: Any) -> list[str]:
    text = page.inner_text("main")
    return [code for code in RAW_CODES if code in text]


def test_a_french_supervisor_reads_no_raw_code(browser: Any, served: str, db: Session) -> None:
    db.add(Quarantine(sha256="1" * 64, reason="not_a_message", raw=b"x", size=1, source="imap"))
    db.commit()
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _sign_in(page, served, HELENE)
    for path in (
        "/console/calls/",
        "/console/tickets/1001",
        "/console/tickets/",
        "/console/quarantine/",
    ):
        page.goto(served + path)
        assert _raw_codes_in(page) == [], path
    page.goto(served + "/console/calls/")
    first = page.locator("table tbody tr").last  # the first call: Marie Tremblay's, at 10:00
    assert re.search(r"mar\. 1 déc\.( 2026)?, 10 h 0\d", first.inner_text())
    assert first.locator("a.tel").first.get_attribute("href") == "tel:+15145550101"
    assert first.locator("a.tel").first.inner_text() == "(514) 555-0101"
    first.locator("a").first.click()
    assert _raw_codes_in(page) == []
    page.goto(served + "/console/quarantine/")
    assert "pas un courriel" in page.inner_text("main")


def test_a_technician_switches_the_console_to_english_and_back(browser: Any, served: str) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _sign_in(page, served, LUC)
    page.goto(served + "/console/tickets/1001")
    page.click("form.language button")
    page.wait_for_url("**/console/tickets/1001*")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Marie Tremblay (regular)" in page.inner_text("p.subject")
    page.click("form.language button")
    assert "Marie Tremblay (régulier)" in page.inner_text("p.subject")


def test_a_note_typed_before_the_session_ended_comes_back_after_signing_in(
    browser: Any,
    served: str,
) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    _sign_in(page, served, LUC)
    page.goto(served + "/console/tickets/1001")
    note = "Sauvegarde relancée à 12 h 10; vérifier demain matin."
    page.fill("textarea[name=text]", note)
    # Nothing of the page still loading (its icon, its stylesheet) may bring a cookie back.
    page.wait_for_load_state("networkidle")
    context.clear_cookies(name=re.compile(r"^(?!console_language$)"))  # the session ends
    page.click("text=Ajouter la note")
    assert page.inner_text("h1") == "Le formulaire n'a pas été envoyé"
    assert page.input_value("textarea.typed") == note  # shown, to copy
    page.click("text=Se reconnecter")
    page.fill("input[name=email]", LUC)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/console/tickets/1001")
    assert page.input_value("textarea[name=text]") == note
    context.close()


def test_a_missing_ticket_says_so_and_leads_back(browser: Any, served: str) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _sign_in(page, served, HELENE)
    page.goto(served + "/console/tickets/999", referer=served + "/console/tickets/")
    assert page.inner_text("h1") == "Cette page n'existe pas"
    page.click("text=Retour à la page précédente")
    page.wait_for_url("**/console/tickets/")
