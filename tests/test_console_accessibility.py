"""Accessible: axe-core (tests/vendor/axe-core, from its npm package) finds no serious or
critical violation on any console page, in French or in English; every field has a label; the
acts work from the keyboard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from tests.browsing import PHONE, chromium, full_world, served, sign_in
from tests.console_world import DAVID, HELENE, LUC, PASSWORD

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_VERSION = "4.14.1"
SERIOUS = ("serious", "critical")
DESKTOP = {"width": 1366, "height": 768}
# Every violation found, as "rule: the elements" (the first three).
VIOLATIONS = """async () => (await axe.run(document)).violations
  .filter(v => %s.includes(v.impact))
  .map(v => v.id + ' (' + v.impact + '): '
            + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))"""


@pytest.fixture
def world(phone_app: Flask, db: Session) -> Iterator[tuple[str, list[str]]]:
    paths = full_world(phone_app, db)
    with served(phone_app) as base:
        yield base, paths


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _page(browser: Any, base: str, email: str) -> Any:
    # The console's policy allows no script but its own: the test's axe is let in this page only.
    context = browser.new_context(viewport=DESKTOP, bypass_csp=True)
    page = context.new_page()
    sign_in(page, base, email)
    return page


def _violations(page: Any) -> list[str]:
    page.evaluate(AXE.read_text())
    assert page.evaluate("axe.version") == AXE_VERSION
    found: list[str] = page.evaluate(VIOLATIONS % list(SERIOUS))
    return found


@pytest.mark.parametrize("email", [HELENE, DAVID], ids=["french", "english"])
def test_axe_finds_no_serious_violation_on_any_console_page(
    browser: Any, world: tuple[str, list[str]], email: str
) -> None:
    base, paths = world
    page = _page(browser, base, email)
    found = []
    for path in ["/console/sign-in", *paths]:
        page.goto(f"{base}{path}")
        found += [f"{path}: {v}" for v in _violations(page)]
    page.context.close()
    assert not found, "\n".join(found)


def test_the_check_finds_a_field_without_a_label(
    browser: Any, world: tuple[str, list[str]]
) -> None:
    base, _paths = world
    page = _page(browser, base, HELENE)
    page.goto(f"{base}/console/closures/")
    page.evaluate("document.querySelector('main').append(document.createElement('select'))")
    assert [v for v in _violations(page) if v.startswith("select-name (critical)")]
    page.context.close()


def _tab_to(page: Any, text: str) -> None:
    """Press Tab until the focused element says ``text``, as a keyboard user does."""
    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.innerText.trim()") == text:
            return
    raise AssertionError(f"{text!r} cannot be reached with the Tab key")


def test_a_technician_signs_in_takes_and_resolves_a_ticket_from_the_keyboard(
    browser: Any, world: tuple[str, list[str]]
) -> None:
    base, _paths = world
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{base}/console/sign-in")
    for _ in range(10):  # past the skip link and the brand's, to the first field
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "email":
            break
    page.keyboard.type(LUC)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/console/")
    _tab_to(page, "1001")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/console/tickets/1001")
    _tab_to(page, "Prendre le billet")
    page.keyboard.press("Enter")
    page.wait_for_selector("p.flash.info")
    _tab_to(page, "Résoudre")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/console/tickets/1001/resolve")
    _tab_to(page, "Oui, le résoudre")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/console/tickets/1001")
    assert "Billet résolu" in page.locator("p.flash.info").inner_text()


def test_the_folded_menu_opens_from_the_keyboard_on_a_phone(
    browser: Any, world: tuple[str, list[str]]
) -> None:
    base, _paths = world
    page = browser.new_page(viewport=PHONE)
    sign_in(page, base, HELENE)
    assert not page.locator("details.menu a[href='/console/verify']").is_visible()
    _tab_to(page, "Menu")
    page.keyboard.press("Enter")
    _tab_to(page, "À vérifier")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/console/verify")
