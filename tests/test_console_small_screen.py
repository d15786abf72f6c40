"""A phone-sized console: every page at 390x844, in French and in English, fits the screen's
width (no sideways scrolling), as a technician paged at night opens it on their phone."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from tests.browsing import PHONE, chromium, full_world, served, sign_in
from tests.console_world import DAVID, HELENE

WIDER_THAN_THE_SCREEN = "document.documentElement.scrollWidth > window.innerWidth"
# What sticks out, to say why: the outermost elements whose right edge passes the screen's.
STICKING_OUT = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .filter(e => !(e.parentElement.getBoundingClientRect().right > window.innerWidth + 1))
  .slice(0, 3)
  .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
            + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')"""


@pytest.fixture
def world(phone_app: Flask, db: Session) -> Iterator[tuple[str, list[str]]]:
    paths = full_world(phone_app, db)
    with served(phone_app) as base:
        yield base, paths


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def _too_wide(browser: Any, base: str, paths: list[str], email: str) -> list[str]:
    page = browser.new_page(viewport=PHONE)
    sign_in(page, base, email)
    wide = []
    for path in ["/console/sign-in", *paths]:
        answer = page.goto(f"{base}{path}")
        assert answer.status == 200 and page.url == f"{base}{path}", path  # the page itself
        if os.environ.get("SCREENSHOTS"):  # pictures for the documentation, or to look at
            name = f"phone-{email.split('@')[0]}-{path.strip('/').replace('/', '-')}.png"
            page.screenshot(path=str(Path(os.environ["SCREENSHOTS"]) / name), full_page=True)
        if page.evaluate(WIDER_THAN_THE_SCREEN):
            width = page.evaluate("document.documentElement.scrollWidth")
            wide.append(f"{path}: {width} px, {page.evaluate(STICKING_OUT)}")
    page.close()
    return wide


@pytest.mark.parametrize("email", [HELENE, DAVID], ids=["french", "english"])
def test_every_console_page_fits_a_phone_screen(
    browser: Any, world: tuple[str, list[str]], email: str
) -> None:
    base, paths = world
    wide = _too_wide(browser, base, paths, email)
    assert not wide, "wider than the screen:\n" + "\n".join(wide)


def test_the_week_of_the_dashboard_fits_a_phone_without_scrolling_inside(
    browser: Any, world: tuple[str, list[str]]
) -> None:
    base, _paths = world
    page = browser.new_page(viewport=PHONE)
    sign_in(page, base, HELENE)
    page.goto(f"{base}/console/dashboard/")
    box = page.evaluate(
        "(() => { const m = document.querySelector('.heat-map');"
        " return [m.scrollWidth, m.clientWidth]; })()"
    )
    page.close()
    assert box[0] <= box[1], f"the heat map is {box[0]} px wide in a {box[1]} px box"
