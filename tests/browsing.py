"""What the browser tests share: Debian's Chromium driven by Playwright (never a downloaded
browser), the app served on loopback, a staff member signed in, and a world with something on
every console page."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from helpdesk import banks, time_entries
from models import Call, Client, Closure, Contact, Ticket
from tests import services
from tests.banking import form, helene, luc
from tests.console_world import PASSWORD, give_passwords
from tests.phone import MONTREAL, NADIA, at, place_call

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium: skipped when missing, failed under CI."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        services.missing("Playwright", str(error))
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        services.missing("Chromium", f"{CHROMIUM} not found (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=ARGS, env=dict(services.real_clock_environment())
        )
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """The app over HTTP on loopback; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/console/sign-in")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"{base}/console/")


def full_world(app: Flask, db: Session) -> list[str]:
    """Something on every console page: a regular call, an urgent one refused then accepted, a
    message to verify, a closure, time posted to an hour bank. The paths of every page."""
    give_passwords(db)
    place_call(app, at(2026, 12, 1, 10), press="6")
    place_call(app, at(2026, 12, 1, 10, 5), press="7", techs=("refuse", "accept"))
    place_call(app, at(2026, 12, 1, 10, 20), caller=NADIA, press="6,1001#")
    db.add(Closure(day=date(2026, 12, 24), reason="Veille de Noël"))
    bakery = db.scalars(select(Client).where(Client.account == "1001")).one()
    ticket = db.scalars(select(Ticket).where(Ticket.number == 1001)).one()
    with time_machine.travel(at(2026, 12, 1, 11), tick=False):
        purchase = banks.Purchase(bakery.id, 10, "F-2026-0101", date(2026, 12, 1))
        banks.record_purchase(db, purchase, helene(db), low_minutes=60, zone=MONTREAL)
        entry = time_entries.post(db, form(ticket, luc(db), minutes=30), luc(db), low_minutes=60)
    db.commit()
    call = db.scalars(select(Call.id).order_by(Call.id)).first()
    contact = db.scalars(select(Contact.client_id)).first()
    return [
        "/console/",
        "/console/tickets",
        "/console/tickets/1001",
        "/console/tickets/1002",
        "/console/calls/",
        f"/console/calls/{call}",
        "/console/verify",
        "/console/quarantine/",
        "/console/undelivered",
        "/console/sla",
        "/console/surveys",
        "/console/roster/",
        "/console/closures/",
        "/console/clients/",
        f"/console/clients/{contact}",
        "/console/directory/",
        "/console/dashboard/",
        "/console/staff",
        "/console/banks",
        "/console/banks/1001",
        "/console/banks/1001/statements/2026-12",
        f"/console/time/{entry.id}/correct",
    ]
