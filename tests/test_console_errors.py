"""Errors that help: the console's 400, 403, 404, 429 and 500 pages in its style and its
reader's language, saying why and with a way back; a form sent after the session ended leads to
sign-in and comes back filled."""

from __future__ import annotations

from html import unescape
from typing import NoReturn

from flask import Flask, abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.access import ANYONE, allow
from models import StaffMember
from tests.console_world import (
    DAVID,
    HELENE,
    JULIE,
    LUC,
    PASSWORD,
    Staff,
    give_passwords,
    signed_in,
)
from tests.phone import at, place_call

TICKET = "/console/tickets/1001"


def test_a_missing_page_says_so_in_french_with_a_way_back(phone_app: Flask, db: Session) -> None:
    give_passwords(db)
    helene = signed_in(phone_app, HELENE)
    answer = helene.get("/console/tickets/999", headers={"Referer": "http://localhost/console/"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 404
    assert "<h1>Cette page n'existe pas</h1>" in page
    assert '<a href="/console/">Retour à la page précédente</a>' in page
    assert 'class="top"' in page  # the console's header and navigation


def test_a_missing_ticket_and_a_missing_page_each_get_their_own_hint(
    phone_app: Flask, db: Session
) -> None:
    give_passwords(db)
    helene = signed_in(phone_app, HELENE)
    ticket = unescape(helene.get("/console/tickets/999").get_data(as_text=True))
    client = unescape(helene.get("/console/clients/99999").get_data(as_text=True))
    assert "numéro de billet" in ticket and "numéro de billet" not in client
    assert "l'adresse mal tapée" in client


def test_a_sign_in_form_left_open_too_long_asks_to_sign_in_again_with_the_email_kept(
    phone_app: Flask, db: Session
) -> None:
    visitor = Staff(phone_app)
    answer = visitor.client.post(
        "/console/sign-in", data={"email": LUC, "password": PASSWORD, "csrf_token": "stale"}
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "La page de connexion était ouverte depuis trop longtemps" in unescape(page)
    assert "session a pris fin" not in page  # nobody was signed in
    assert f'value="{LUC}"' in page


def test_every_console_page_starts_with_a_link_past_its_navigation(
    phone_app: Flask, db: Session
) -> None:
    page = Staff(phone_app).text("/console/sign-in")
    assert '<a class="skip" href="#main">Aller au contenu de la page</a>' in page
    assert '<main id="main"' in page


def test_a_missing_page_speaks_english_to_an_english_reader(phone_app: Flask, db: Session) -> None:
    give_passwords(db)
    page = signed_in(phone_app, DAVID).get("/console/nowhere").get_data(as_text=True)
    assert "<h1>This page does not exist</h1>" in page and "Error 404" in page


def test_a_technician_is_told_why_an_urgent_ticket_is_not_theirs(
    phone_app: Flask, db: Session
) -> None:
    give_passwords(db)
    place_call(phone_app, at(2026, 12, 1, 10, 30), press="7", techs=("ignore",) * 3)
    answer = signed_in(phone_app, JULIE).get(TICKET)  # Julie is on the regular line only
    assert answer.status_code == 403
    why = "ligne urgente : vous n&#39;êtes pas de garde, et le billet n&#39;est pas à vous"
    assert why in answer.get_data(as_text=True)


def test_a_technician_is_told_a_page_is_for_supervisors(phone_app: Flask, db: Session) -> None:
    give_passwords(db)
    answer = signed_in(phone_app, LUC).get("/console/calls/")
    assert answer.status_code == 403
    assert "cette page est réservée aux superviseurs" in answer.get_data(as_text=True)


def _failing_routes(app: Flask) -> None:
    def limited() -> NoReturn:
        abort(429)

    def broken() -> NoReturn:
        raise RuntimeError("a bug")

    app.add_url_rule("/console/limited", "limited", allow(ANYONE)(limited))
    app.add_url_rule("/console/broken", "broken", allow(ANYONE)(broken))
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 page, no traceback


def test_too_many_requests_and_a_server_error_have_their_pages(
    phone_app: Flask, db: Session
) -> None:
    _failing_routes(phone_app)
    visitor = Staff(phone_app)
    limited = visitor.get("/console/limited")
    assert limited.status_code == 429
    assert "Trop de demandes" in limited.get_data(as_text=True)
    assert "Réessayez dans 1 min." in limited.get_data(as_text=True)
    broken = visitor.get("/console/broken", headers={"Accept-Language": "en"})
    assert broken.status_code == 500
    page = broken.get_data(as_text=True)
    assert "Something went wrong on our side" in page and "a bug" not in page
    assert '<a href="/console/sign-in">Sign in</a>' in page


def test_pages_outside_the_console_keep_their_own_errors(phone_app: Flask, db: Session) -> None:
    answer = Staff(phone_app).get("/survey/nothing-here")
    assert answer.status_code == 404
    page = answer.get_data(as_text=True)
    assert "Ce lien de sondage est inconnu" in page  # the survey's own page, for a client
    assert "existe pas" not in page and 'href="/console/tickets' not in page  # not the console's


def test_a_note_sent_after_the_session_ended_comes_back_after_signing_in(
    phone_app: Flask, db: Session
) -> None:
    give_passwords(db)
    place_call(phone_app, at(2026, 12, 1, 10), press="6")
    stale = signed_in(phone_app, LUC).token(TICKET)
    luc = Staff(phone_app)  # the same person, whose session cookie has expired
    note = "Le client a redémarré le serveur; à rappeler demain."
    answer = luc.client.post(
        f"{TICKET}/notes",
        data={"text": note, "visibility": "private", "csrf_token": stale},
        headers={"Referer": f"http://localhost{TICKET}"},
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Votre session a pris fin avant l'envoi du formulaire" in page
    assert "redémarré le serveur; à rappeler demain.</textarea>" in page  # to copy
    assert "<label>Note <textarea" in page and ">private</textarea>" not in page  # a choice
    assert 'href="/console/sign-in?next=/console/tickets/1001"' in page
    signed = luc.client.post(
        "/console/sign-in",
        data={"email": LUC, "password": PASSWORD, "next": TICKET, "csrf_token": luc.token()},
    )
    assert signed.headers["Location"] == TICKET
    assert f"required>{note}</textarea>" in luc.text(TICKET)
    assert f"required>{note}</textarea>" not in luc.text(TICKET)  # given back once


def test_a_password_is_never_kept_nor_shown_back(phone_app: Flask, db: Session) -> None:
    give_passwords(db)
    helene = Staff(phone_app)
    answer = helene.client.post(
        "/console/staff/1/password",
        data={"password": "a secret phrase", "confirm": "a secret phrase"},
        headers={"Referer": "http://localhost/console/staff/"},
    )
    assert answer.status_code == 400
    assert "a secret phrase" not in answer.get_data(as_text=True)


def test_a_stale_form_from_a_signed_in_technician_leads_back_to_the_page_not_to_sign_in(
    phone_app: Flask, db: Session
) -> None:
    give_passwords(db)
    place_call(phone_app, at(2026, 12, 1, 10), press="6")
    luc = signed_in(phone_app, LUC)
    answer = luc.client.post(
        f"{TICKET}/notes",
        data={"text": "Rappeler demain.", "visibility": "private", "csrf_token": "stale"},
        headers={"Referer": f"http://localhost{TICKET}"},
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Le formulaire était trop ancien" in page
    assert f'href="{TICKET}">Retour à la page</a>' in page
    assert "Se reconnecter" not in page


def test_a_note_sent_after_a_supervisor_signed_the_technician_out_comes_back_after_signing_in(
    phone_app: Flask, db: Session
) -> None:
    give_passwords(db)
    place_call(phone_app, at(2026, 12, 1, 10), press="6")
    luc = signed_in(phone_app, LUC)
    token = luc.token(TICKET)  # the page stays open; the cookie and its token stay valid
    luc_id = db.scalars(select(StaffMember.id).where(StaffMember.email == LUC)).one()
    assert signed_in(phone_app, HELENE).post(f"/console/staff/{luc_id}/sign-out").status_code == 302
    note = "Le client rappellera après sa réunion."
    answer = luc.client.post(
        f"{TICKET}/notes",
        data={"text": note, "visibility": "private", "csrf_token": token},
        headers={"Referer": f"http://localhost{TICKET}"},
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Votre session a pris fin avant l'envoi du formulaire" in page
    assert 'href="/console/sign-in?next=/console/tickets/1001"' in page
    luc.sign_in(LUC)
    assert f"required>{note}</textarea>" in luc.text(TICKET)
