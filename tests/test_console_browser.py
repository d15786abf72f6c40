"""The console in a real browser: Debian's Chromium driven by Playwright, against the app served
on 127.0.0.1. Sign in, filter the call log, export it as CSV, open a call's timeline and play
its message; filter and search the ticket list; take a ticket, add a note, resolve and close
it, ask to be called back now; answer a satisfaction survey as the client does; a supervisor
adds a closure (and a call hears it), changes the roster (and the CATA rings the new order),
attaches a message to verify to a client's contact, and is told why a 5th authorized contact
is refused.
``SCREENSHOTS=docs/screenshots`` keeps the pictures for the documentation.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from helpdesk import recordings, tickets
from models import (
    Call,
    CallbackRequest,
    Client,
    Contact,
    Line,
    OutboxTask,
    Recording,
    StaffMember,
    Survey,
    Ticket,
    TicketStatus,
    utcnow,
)
from tests import browsing, phone
from tests.conftest import SmtpInbox
from tests.console_world import DAVID, HELENE, LUC, PASSWORD, give_passwords, staff_id
from tests.mailing import run_due_tasks, worker
from tests.phone import CATA, EMILY, at, place_call


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium (never a downloaded one): skipped when missing, failed under CI."""
    with browsing.chromium() as launched:
        yield launched


@pytest.fixture
def served(phone_app: Flask, db: Session) -> Iterator[str]:
    """The app with two calls placed, served over HTTP on loopback."""
    give_passwords(db)
    place_call(phone_app, at(2026, 12, 1, 10), press="6")
    place_call(phone_app, at(2026, 12, 1, 10, 5), press="7", techs=("refuse", "accept"))
    server = make_server("127.0.0.1", 0, phone_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/console/")
    assert "/console/sign-in" in page.url
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"{base}/console/")


def _watch_policy(page: Any) -> list[str]:
    """Messages of the browser's console: a CSP violation would show here."""
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text))
    return seen


def test_a_supervisor_filters_the_call_log_and_opens_a_timeline(
    browser: Any, served: str, shots: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    violations = _watch_policy(page)
    page.goto(f"{served}/console/sign-in")
    page.screenshot(path=str(shots / "sign-in.png"))
    _sign_in(page, served, HELENE)
    page.click("text=Journal d'appels")
    assert page.locator("table.calls tbody tr").count() == 2
    page.select_option("select[name=line]", "urgent")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**line=urgent**")
    rows = page.locator("table.calls tbody tr")
    assert rows.count() == 1
    page.screenshot(path=str(shots / "call-log.png"), full_page=True)
    rows.first.locator("td a").first.click()
    page.wait_for_url("**/console/calls/*")
    timeline = page.locator("ol.timeline").inner_text()
    assert "techniciens sonnés" in timeline and "technicien a accepté" in timeline
    assert "Sophie Lavoie" in page.locator("table.rings").inner_text()
    page.screenshot(path=str(shots / "call-timeline.png"), full_page=True)
    page.goto(f"{served}/console/sla")
    page.screenshot(path=str(shots / "sla-board.png"), full_page=True)
    assert not [v for v in violations if "Content Security Policy" in v]


def test_a_supervisor_filters_and_searches_the_ticket_list(
    browser: Any, served: str, shots: Path, db: Session
) -> None:
    first = db.scalars(select(Ticket).where(Ticket.number == 1001)).one()
    tickets.add_note(first, staff_id(db, LUC), "Pilote d'imprimante réinstallé.", public=False)
    tickets.resolve(first, staff_id(db, LUC), reopen_within=timedelta(days=14))
    db.commit()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    violations = _watch_policy(page)
    _sign_in(page, served, HELENE)
    page.click("nav a[href='/console/tickets']")
    rows = page.locator("table.tickets tbody tr")
    assert rows.count() == 2  # the resolved ticket too
    page.fill("input[name=q]", "REINSTALLE")  # the note, whatever the case and the accents
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**q=REINSTALLE**")
    assert rows.count() == 1 and "1001" in rows.first.inner_text()
    assert "résolu" in rows.first.inner_text()
    page.fill("input[name=q]", "")
    page.select_option("select[name=line]", "urgent")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**line=urgent**")
    assert rows.count() == 1 and "1002" in rows.first.inner_text()
    page.screenshot(path=str(shots / "tickets.png"), full_page=True)
    rows.first.locator("td a").first.click()
    page.wait_for_url("**/console/tickets/1002")
    assert not [v for v in violations if "Content Security Policy" in v]


def test_a_technician_takes_notes_resolves_and_closes_a_ticket(
    browser: Any, served: str, shots: Path, db: Session
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    violations = _watch_policy(page)
    _sign_in(page, served, LUC)
    page.screenshot(path=str(shots / "my-tickets.png"), full_page=True)
    page.click("a[href='/console/tickets/1001']")
    page.click("text=Prendre le billet")
    assert "Le billet est à vous." in page.locator(".flash").inner_text()
    page.fill("textarea[name=text]", "Sage 50 reinstalled; the client confirms it opens.")
    page.check("input[name=visibility][value=public]")
    page.click("text=Ajouter la note")
    assert "Sage 50 reinstalled" in page.locator("section.history").inner_text()
    page.screenshot(path=str(shots / "ticket.png"), full_page=True)
    page.click("button:has-text('Résoudre')")
    assert "Résoudre le billet 1001 ?" in page.locator("h1").inner_text()  # it asks first
    page.click("button:has-text('Oui, le résoudre')")
    assert "Billet résolu : le client en est avisé" in page.locator(".flash").inner_text()
    page.click("button:has-text('Fermer')")
    page.click("button:has-text('Oui, le fermer')")
    assert "Billet fermé." in page.locator(".flash").inner_text()
    db.expire_all()
    ticket = db.scalars(select(Ticket).where(Ticket.number == 1001)).one()
    assert ticket.status == TicketStatus.CLOSED and ticket.assignee_id is not None
    assert not [v for v in violations if "Content Security Policy" in v]


def test_a_public_note_reads_not_emailed_once_the_clients_mail_server_refused_it(
    browser: Any, served: str, phone_app: Flask, refusing_smtp: SmtpInbox
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _sign_in(page, served, DAVID)  # a supervisor, who reads English
    page.goto(f"{served}/console/tickets/1001")
    page.fill("textarea[name=text]", "The Sage 50 patch is installed; restart the workstation.")
    page.check("input[name=visibility][value=public]")
    page.click("button:has-text('Add the note')")
    label = page.locator(".entry.note .visibility")
    assert label.inner_text() == "public: email to the client waiting to be sent"
    run_due_tasks(worker(phone_app, refusing_smtp).replace(twilio_http=phone.RecordingTwilioHttp()))
    page.reload()
    refused = "public: NOT emailed to the client — refused by their mail server"
    assert label.inner_text() == refused
    reason = page.locator(".entry.note .warning").inner_text()
    assert reason == "refused by the recipient's mail server (550 5.1.1 No such user here)"


def test_a_client_answers_the_satisfaction_survey(
    browser: Any, served: str, shots: Path, db: Session
) -> None:
    ticket = db.scalars(select(Ticket).where(Ticket.number == 1001)).one()
    luc = db.scalars(select(StaffMember).where(StaffMember.email == LUC)).one()
    tickets.resolve(ticket, luc.id, reopen_within=timedelta(days=14))
    db.commit()
    token = db.scalars(select(Survey.token).where(Survey.ticket_id == ticket.id)).one()
    page = browser.new_page(viewport={"width": 1024, "height": 700})
    violations = _watch_policy(page)
    page.goto(f"{served}/survey/{token}?lang=fr")
    assert page.locator("h1").inner_text() == "Sondage de satisfaction, billet 1001"
    page.check("input[name=score][value='5']")
    page.fill("textarea[name=comment]", "Rappel rapide, problème réglé.")
    page.screenshot(path=str(shots / "survey.png"), full_page=True)
    page.click("button:has-text('Envoyer ma réponse')")
    assert page.locator("#survey-thanks").inner_text() == "Merci : votre réponse est enregistrée."
    db.expire_all()
    survey = db.scalars(select(Survey).where(Survey.token == token)).one()
    assert (survey.score, survey.comment) == (5, "Rappel rapide, problème réglé.")
    assert not [v for v in violations if "Content Security Policy" in v]


def _a_working_day_to_come(app: Flask) -> date:
    """A weekday, not a holiday, a week or more after the server's today (whatever the date)."""
    hours = phone.helpdesk(app).hours
    day = datetime.now(hours.timezone).date() + timedelta(days=7)
    while day.weekday() >= 5 or hours.holidays.on(day) is not None:
        day += timedelta(days=1)
    return day


def test_a_supervisor_adds_a_closure_and_the_phone_line_announces_it(
    browser: Any, served: str, shots: Path, phone_app: Flask
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    violations = _watch_policy(page)
    _sign_in(page, served, HELENE)
    day = _a_working_day_to_come(phone_app)  # the page lists the closures to come
    page.click("nav >> text=Fermetures")
    page.fill("form.add-closure input[name=day]", day.isoformat())
    page.fill("form.add-closure input[name=from_time]", "12:00")
    page.fill("form.add-closure input[name=reason]", "Veille de Noël")
    page.click("form.add-closure button[type=submit]")
    assert "La fermeture est ajoutée" in page.locator(".flash").inner_text()
    assert "Veille de Noël" in page.locator("table.closures").inner_text()
    page.screenshot(path=str(shots / "closures.png"), full_page=True)
    heard = place_call(phone_app, at(day.year, day.month, day.day, 13), to=CATA).heard()
    assert heard[1] == "Nous sommes exceptionnellement fermés."
    assert not [v for v in violations if "Content Security Policy" in v]


def test_a_supervisor_changes_the_roster_and_sees_who_answers(
    browser: Any, served: str, shots: Path, phone_app: Flask
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    violations = _watch_policy(page)
    _sign_in(page, served, HELENE)
    page.click("nav >> text=Garde")
    urgent = page.locator("form.order").nth(1)
    urgent.locator("input[aria-label='Rang de Karim Haddad']").fill("1")
    urgent.locator("input[aria-label='Rang de Luc Gagnon']").fill("2")
    urgent.locator("input[aria-label='Rang de Sophie Lavoie']").fill("")
    urgent.locator("button[type=submit]").click()
    assert "L'ordre permanent est enregistré." in page.locator(".flash").inner_text()
    page.fill("input[name=at]", "2026-12-01T10:00")
    page.click("form.inline >> text=Afficher")
    page.wait_for_url("**at=2026-12-01T10**")
    row = page.locator("table.who-answers tr[data-line=urgent]").inner_text()
    assert row.split("\t") == ["urgent", "ouvert", "Karim Haddad, Luc Gagnon, Hélène Bergeron"]
    page.screenshot(path=str(shots / "roster.png"), full_page=True)
    transcript = place_call(phone_app, at(2026, 12, 1, 10), to=CATA, techs=("accept",))
    rung = [e.text for e in transcript.entries if e.kind == "ring"]
    assert rung == ["+15145550173 (accept)", "+15145550171 (ring)", "+15145550175 (ring)"]
    assert not [v for v in violations if "Content Security Policy" in v]


def test_a_supervisor_is_told_why_a_fifth_authorized_contact_is_refused(
    browser: Any, served: str, shots: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    _sign_in(page, served, HELENE)
    page.click("nav >> text=Clients")
    page.click("text=1001")
    for name in ("Paul Gravel", "Lise Ouellet", "Marc Dion"):
        page.fill("form.new-contact input[name=name]", name)
        page.click("form.new-contact button[type=submit]")
    flash = page.locator(".flash").inner_text()
    assert flash == (
        "Refusé : Boulangerie Saint-Denis a déjà 4 contacts autorisés : la politique en permet "
        "au plus 4. Retirez d'abord l'autorisation de l'un d'eux."
    )
    page.screenshot(path=str(shots / "client.png"), full_page=True)


def test_a_technician_previews_then_posts_time_on_a_ticket(
    browser: Any, served: str, shots: Path, db: Session
) -> None:
    from tests.banking import BOULANGERIE, buy, ledger

    buy(db, BOULANGERIE, 1)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    violations = _watch_policy(page)
    _sign_in(page, served, LUC)
    page.goto(f"{served}/console/tickets/1001")
    page.fill("form.time-entry input[name=minutes]", "70")
    page.click("form.time-entry button[value=preview]")
    page.wait_for_selector(".preview")
    assert page.locator(".preview dd.charged").inner_text() == "1 h 15"
    assert page.locator(".preview dd.bank-paid").inner_text() == "1 h"
    assert page.locator(".preview dd.overage").inner_text() == "15 min"
    page.screenshot(path=str(shots / "time-preview.png"), full_page=True)
    page.click("form.time-entry button[value=post]")
    page.wait_for_selector("p.flash.info")
    assert page.locator("p.flash.info").inner_text() == "Temps saisi."
    assert page.locator("table.entries tbody tr").count() == 1
    assert ledger(db, BOULANGERIE) == [("purchase", 60), ("usage", -60)]
    assert not [v for v in violations if "Content Security Policy" in v]


def test_the_sla_board_shows_a_new_ticket_without_a_reload(
    browser: Any, served: str, phone_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect

    from console import supervise

    monkeypatch.setattr(supervise, "SLA_REFRESH_SECONDS", 1)  # the board asks every second
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    violations = _watch_policy(page)
    _sign_in(page, served, HELENE)
    page.goto(f"{served}/console/sla")
    rows = page.locator("table.sla tbody tr")
    shown = rows.count()
    assert page.locator("a[href='/console/tickets/1003']").count() == 0
    page.evaluate("window.notReloaded = true")  # gone if the page were loaded again
    place_call(phone_app, at(2026, 12, 1, 10, 30), press="6", caller=EMILY)
    expect(page.locator("a[href='/console/tickets/1003']")).to_have_count(1, timeout=10_000)
    assert rows.count() == shown + 1
    assert page.evaluate("window.notReloaded") is True
    assert not [v for v in violations if "Content Security Policy" in v]


def test_a_supervisor_sees_the_dashboards_charts_drawn(
    browser: Any, served: str, shots: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    violations = _watch_policy(page)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _sign_in(page, served, HELENE)
    page.click("text=Tableau de bord")
    page.wait_for_url("**/console/dashboard/")
    page.goto(f"{served}/console/dashboard/?from=2026-11-30&to=2026-12-06")
    assert page.evaluate("Chart.version") == "4.6.1"  # the vendored library, loaded
    drawn = page.evaluate(
        "Array.from(document.querySelectorAll('canvas[data-chart]'))"
        ".map(c => [c.width, c.height, Chart.getChart(c) !== undefined])"
    )
    assert len(drawn) == 4  # the hours of the week are a heat map, not a chart
    assert all(width > 0 and height > 0 and chart for width, height, chart in drawn), drawn
    page.screenshot(path=str(shots / "dashboard.png"), full_page=True)
    assert errors == []
    assert not [v for v in violations if "Content Security Policy" in v]


# One second of silence as MPEG-1 Layer III (128 kbit/s, 44.1 kHz): frames whose side
# information is all zeros decode to silence, so Chromium can really load and play it.
SILENT_MP3 = (bytes.fromhex("fffb9064") + bytes(413)) * 38


def _copied(phone_app: Flask, db: Session, recording: Recording) -> None:
    """The recording as the copy job leaves it: the audio in the storage, the row told so."""
    copy = phone.helpdesk(phone_app).files.save(recordings.AUDIO_TYPE, [SILENT_MP3])
    recording.stored_file_id, recording.stored_bytes = copy.file_id, copy.size
    recording.stored_sha256 = hashlib.sha256(SILENT_MP3).hexdigest()
    recording.stored_at = utcnow()
    db.commit()


def test_a_supervisor_exports_the_filtered_call_log_as_csv(
    browser: Any, served: str, db: Session
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    violations = _watch_policy(page)
    _sign_in(page, served, HELENE)
    page.click("text=Journal d'appels")
    page.select_option("select[name=line]", "urgent")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**line=urgent**")
    with page.expect_download() as download_info:
        page.click("text=Exporter en CSV")
    download = download_info.value
    assert download.suggested_filename == "appels.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")  # a byte-order mark first
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))  # as a French spreadsheet reads
    urgent = db.scalars(select(Call).where(Call.line == Line.URGENT)).one()
    assert rows[0][:3] == ["début", "fin", "sens"]
    assert [(r[0], r[3], r[12], r[13]) for r in rows[1:]] == [
        ("2026-12-01 10:05:00", "urgent", "Sophie Lavoie", urgent.call_sid)
    ]
    assert not [v for v in violations if "Content Security Policy" in v]


def test_a_supervisor_plays_a_calls_message_from_the_apps_copy(
    browser: Any, served: str, phone_app: Flask, db: Session
) -> None:
    recording = db.scalars(select(Recording)).one()
    _copied(phone_app, db, recording)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    violations = _watch_policy(page)
    heard: list[tuple[str, int]] = []
    page.on("response", lambda r: heard.append((r.url, r.status)))
    _sign_in(page, served, HELENE)
    page.goto(f"{served}/console/calls/{recording.call_id}")
    assert "message enregistré" in page.locator("ol.timeline").inner_text()
    audio = page.locator("section.card audio")
    route = f"{served}/console/recordings/{recording.id}"
    assert audio.get_attribute("src") == route.removeprefix(served)
    # The test's own script (not the page's, which the policy keeps to files): play, and wait
    # for `canplay`, when the browser has decoded enough of the app's copy to play it.
    ready = audio.evaluate(
        "a => new Promise(done => {"
        " a.oncanplay = () => done(a.readyState); a.onerror = () => done(-a.error.code);"
        " a.play(); })"
    )
    assert ready >= 2  # a negative number is the MediaError's code: the audio did not decode
    assert audio.evaluate("audio => [audio.currentSrc, audio.error]") == [route, None]
    assert [status for url, status in heard if url == route][:1] in ([200], [206])
    assert not [v for v in violations if "Content Security Policy" in v]


def test_a_technician_asks_to_be_called_back_now(browser: Any, served: str, db: Session) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    violations = _watch_policy(page)
    _sign_in(page, served, LUC)
    page.click("a[href='/console/tickets/1001']")
    page.click("button:has-text('Rappeler maintenant')")
    flash = page.locator("p.flash.info").inner_text()
    assert flash == "Rappel planifié : votre cellulaire va sonner, appuyez sur 1."
    request = db.scalars(select(CallbackRequest)).one()
    ticket = db.scalars(select(Ticket).where(Ticket.number == 1001)).one()
    assert (request.ticket_id, request.staff_member_id) == (ticket.id, staff_id(db, LUC))
    task = db.scalars(select(OutboxTask).where(OutboxTask.task == "call.callback")).one()
    assert (task.key, task.args) == (
        f"callback-{request.request_id}",
        {"request_id": request.request_id},
    )
    assert not [v for v in violations if "Content Security Policy" in v]


def test_a_supervisor_attaches_a_message_to_verify_to_a_clients_contact(
    browser: Any, served: str, shots: Path, phone_app: Flask, db: Session
) -> None:
    transcript = place_call(
        phone_app, at(2026, 12, 1, 10, 20), caller="anonymous", press="-,6,1001#"
    )
    ticket = phone.the_ticket(db, transcript)
    assert ticket.to_verify and ticket.sla_due_at is None
    _copied(
        phone_app, db, db.scalars(select(Recording).where(Recording.ticket_id == ticket.id)).one()
    )
    marie = db.scalars(
        select(Contact).join(Client).where(Client.account == "1001").order_by(Contact.id)
    ).first()
    assert marie is not None
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    violations = _watch_policy(page)
    _sign_in(page, served, HELENE)
    page.click("nav >> text=À vérifier")
    waiting = page.locator("article.verify", has=page.locator(f"a:text-is('{ticket.number}')"))
    assert waiting.locator("audio").get_attribute("src") == "/console/recordings/" + str(
        db.scalars(select(Recording.id).where(Recording.ticket_id == ticket.id)).one()
    )
    page.screenshot(path=str(shots / "verify.png"), full_page=True)
    waiting.locator("select[name=contact]").select_option(str(marie.id))
    waiting.locator("button:has-text('Rattacher')").click()
    flash = page.locator("p.flash.info").inner_text()
    assert flash.startswith(f"Le message {ticket.number} est maintenant un billet de ce client")
    assert (
        page.locator("p.flash.info a").get_attribute("href") == f"/console/tickets/{ticket.number}"
    )
    assert page.locator("article.verify").count() == 0
    db.expire_all()
    settled = db.get(Ticket, ticket.id)
    assert settled is not None and not settled.to_verify and settled.sla_due_at is not None
    assert (settled.client_id, settled.contact_id) == (marie.client_id, marie.id)
    assert not [v for v in violations if "Content Security Policy" in v]
