"""The satisfaction survey: the link emailed when a ticket is resolved ("résolu et donc
« fermé »" for the client), its public page (one answer, 30 days), and the answers in the
console."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage as MimeMessage

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpdesk import surveys, tickets
from helpdesk.context import Context
from mail import intake as email_intake
from models import StaffMember, Survey, Ticket
from tests.conftest import SmtpInbox
from tests.console_world import DAVID, HELENE, LUC, Staff, give_passwords
from tests.mailing import (
    EMILY,
    MARIE,
    REOPEN,
    is_survey_invitation,
    letter,
    prepare,
    run_due_tasks,
    worker,
)
from tests.phone import BASE, RecordingTwilioHttp, at

TUESDAY_10H = at(2026, 12, 1, 10)
CLOSED_AT = at(2026, 12, 1, 15)
MARIE_ADDRESS = "marie.tremblay@boulangerie.example"
LINK = re.compile(r"https://support\.altilogix\.example/survey/([A-Za-z0-9_-]+)\?lang=(fr|en)")


@pytest.fixture
def sending(phone_app: Flask, db: Session, smtp_inbox: SmtpInbox) -> Context:
    prepare(db)
    give_passwords(db)
    return worker(phone_app, smtp_inbox).replace(twilio_http=RecordingTwilioHttp())


def resolved_ticket(
    context: Context,
    smtp: SmtpInbox,
    sender: str = MARIE,
    settle: Callable[[Session], None] | None = None,
) -> str:
    """Ticket 1001, emailed by the contact, resolved by Luc (or settled by ``settle``); the
    survey's token."""
    with time_machine.travel(TUESDAY_10H, tick=False):
        email_intake.receive(context, letter(sender=sender), source="pipe")
        run_due_tasks(context)
    smtp.messages.clear()
    with time_machine.travel(CLOSED_AT, tick=False):
        with context.transaction() as session:
            (settle or resolve)(session)
        run_due_tasks(context)
    links = [LINK.search(plain(m)) for m in smtp.messages]
    [found] = [link for link in links if link is not None]
    return found.group(1)


def plain(message: MimeMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert isinstance(part, MimeMessage)
    return str(part.get_content()).replace("\r\n", "\n")


def resolve(session: Session) -> None:
    ticket = session.scalars(select(Ticket).where(Ticket.number == 1001)).one()
    luc = session.scalars(select(StaffMember).where(StaffMember.email == LUC)).one()
    tickets.resolve(ticket, luc.id, reopen_within=REOPEN)


def survey_page(
    app: Flask, token: str, when: datetime = CLOSED_AT, **query: str
) -> tuple[int, str]:
    with time_machine.travel(when, tick=False):
        response = app.test_client().get(f"/survey/{token}", query_string=query, base_url=BASE)
    return response.status_code, response.get_data(as_text=True)


def send_answer(
    app: Flask, token: str, score: str, comment: str = "", when: datetime = CLOSED_AT
) -> tuple[int, str]:
    """Fill in the form as a browser does: its page first (the CSRF token), then the answer."""
    visitor = Staff(app)
    with time_machine.travel(when, tick=False):
        csrf = visitor.token(f"/survey/{token}")
        response = visitor.client.post(
            f"/survey/{token}", data={"score": score, "comment": comment, "csrf_token": csrf}
        )
    return response.status_code, response.get_data(as_text=True)


def the_survey(db: Session) -> Survey:
    db.expire_all()
    return db.scalars(select(Survey)).one()


def test_resolving_a_ticket_tells_its_contact_and_emails_the_survey_link(
    sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    token = resolved_ticket(sending, smtp_inbox)
    [invitation] = [m for m in smtp_inbox.messages if is_survey_invitation(m)]
    assert invitation["To"] == MARIE_ADDRESS
    assert invitation["Subject"] == "[#1001] Sage 50 ne démarre plus"
    assert plain(invitation) == (
        "Bonjour,\n\n"
        "Votre billet 1001 est résolu, et donc « fermé ».\n\n"
        "Comme votre opinion et votre niveau de "
        "satisfaction nous tiennent à cœur, nous vous invitons à répondre à un petit sondage (une "
        "note de 1 à 5 et, si vous le souhaitez, un commentaire) :\n\n"
        f"https://support.altilogix.example/survey/{token}?lang=fr\n\n"
        "Ce lien est valable 30 jours. Si le problème n’est pas réglé, répondez à ce courriel "
        "d’ici 14 jours : votre billet sera rouvert.\n\n"
        "Merci\n"
        "L’équipe de support technique d’AltiLogix Inc.\n"
    )
    link = f"https://support.altilogix.example/survey/{token}?lang=fr"
    html = invitation.get_body(preferencelist=("html",))
    assert isinstance(html, MimeMessage)
    assert f'<a href="{link}">{link}</a>' in html.get_content()
    assert len(token) == 43  # secrets.token_urlsafe(32): 256 random bits
    assert the_survey(db).token == token


def test_the_resolution_email_quotes_how_the_technician_says_it_was_solved(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    def with_summary(session: Session) -> None:
        ticket = session.scalars(select(Ticket).where(Ticket.number == 1001)).one()
        luc = session.scalars(select(StaffMember).where(StaffMember.email == LUC)).one()
        words = "Réinstallé Sage 50 ;\r\nla licence est réactivée."
        tickets.resolve(ticket, luc.id, reopen_within=REOPEN, summary=words)

    resolved_ticket(sending, smtp_inbox, settle=with_summary)
    [invitation] = [m for m in smtp_inbox.messages if is_survey_invitation(m)]
    assert (
        "« fermé ».\n\nLa solution, en quelques mots :\n"
        "Réinstallé Sage 50 ;\nla licence est réactivée.\n\nComme votre opinion"
    ) in plain(invitation)


def test_a_ticket_closed_at_once_promises_a_new_request_not_a_reopening(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:

    def close_at_once(session: Session) -> None:
        ticket = session.scalars(select(Ticket).where(Ticket.number == 1001)).one()
        helene = session.scalars(select(StaffMember).where(StaffMember.email == HELENE)).one()
        tickets.close(ticket, helene.id, reopen_within=REOPEN)

    resolved_ticket(sending, smtp_inbox, settle=close_at_once)
    [invitation] = [m for m in smtp_inbox.messages if is_survey_invitation(m)]
    text = plain(invitation)
    assert "rouvert" not in text
    assert (
        "Si le problème n’est pas réglé, répondez à ce courriel : une nouvelle demande sera "
        "ouverte à la suite de ce billet." in text
    )


def test_a_ticket_resolved_again_keeps_its_one_survey(
    sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    resolved_ticket(sending, smtp_inbox)
    with time_machine.travel(CLOSED_AT + timedelta(hours=1), tick=False):
        with sending.transaction() as session:
            ticket = session.scalars(select(Ticket).where(Ticket.number == 1001)).one()
            luc = session.scalars(select(StaffMember).where(StaffMember.email == LUC)).one()
            tickets.reopen(ticket, luc.id, why="encore")
            resolve(session)
        run_due_tasks(sending)
    assert db.scalar(select(func.count(Survey.id))) == 1
    invitations = [m for m in smtp_inbox.messages if is_survey_invitation(m)]
    assert len(invitations) == 1


def test_the_link_shows_the_form_in_the_contact_s_language(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox
) -> None:
    token = resolved_ticket(sending, smtp_inbox, sender=EMILY)
    status, page = survey_page(phone_app, token)
    assert status == 200
    assert "<h1>Satisfaction survey, ticket 1001</h1>" in page
    assert 'name="csrf_token"' in page and page.count('type="radio" name="score"') == 5
    status, french = survey_page(phone_app, token, lang="fr")
    assert "<h1>Sondage de satisfaction, billet 1001</h1>" in french


def test_the_survey_page_names_the_request_it_asks_about(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox
) -> None:
    token = resolved_ticket(sending, smtp_inbox)
    _, page = survey_page(phone_app, token)
    assert re.search(
        r"Votre demande du mar\. 1 déc\.[^:]*, 10 h 00 : Sage 50 ne démarre plus", page
    )


def test_a_comment_longer_than_the_form_allows_is_kept_to_its_limit(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    """The page's field stops at the limit; a request sent around it is held to it."""
    token = resolved_ticket(sending, smtp_inbox)
    assert f'maxlength="{surveys.COMMENT_MAX_CHARS}"' in survey_page(phone_app, token)[1]
    status, _page = send_answer(phone_app, token, "3", "Lent. " * 1000)
    assert status == 200
    assert the_survey(db).comment == ("Lent. " * 1000)[: surveys.COMMENT_MAX_CHARS]


def test_an_answer_is_stored_and_thanked(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    token = resolved_ticket(sending, smtp_inbox)
    status, page = send_answer(phone_app, token, "4", "Rapide et efficace.")
    assert status == 200
    assert "Merci : votre réponse est enregistrée." in page
    survey = the_survey(db)
    assert (survey.score, survey.comment, survey.answered_at) == (
        4,
        "Rapide et efficace.",
        CLOSED_AT,
    )


def test_a_low_score_tells_the_supervisors_at_once_with_the_comment(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    token = resolved_ticket(sending, smtp_inbox)
    before = len(smtp_inbox.messages)
    send_answer(phone_app, token, "2", "Personne ne m'a rappelée avant midi.")
    with time_machine.travel(CLOSED_AT, tick=False):
        run_due_tasks(sending)
    told = {m["To"]: m for m in smtp_inbox.messages[before:]}
    assert set(told) == {HELENE, DAVID}
    french = told[HELENE]
    assert french["Subject"] == "[AltiLogix] Client insatisfait (2/5) : billet 1001"
    assert "Personne ne m'a rappelée avant midi." in plain(french)
    assert "gave 2 out of 5" in plain(told[DAVID])


def test_a_good_score_tells_nobody(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    token = resolved_ticket(sending, smtp_inbox)
    before = len(smtp_inbox.messages)
    send_answer(phone_app, token, "3")
    with time_machine.travel(CLOSED_AT, tick=False):
        run_due_tasks(sending)
    assert smtp_inbox.messages[before:] == []


def test_a_survey_takes_one_answer(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    token = resolved_ticket(sending, smtp_inbox)
    visitor = Staff(phone_app)  # the form sent twice, from the same page
    with time_machine.travel(CLOSED_AT, tick=False):
        csrf = visitor.token(f"/survey/{token}")
        for score, comment in (("4", "Rapide."), ("1", "Changé d'avis")):
            response = visitor.client.post(
                f"/survey/{token}", data={"score": score, "comment": comment, "csrf_token": csrf}
            )
    status, page = response.status_code, response.get_data(as_text=True)
    assert status == 200
    assert (
        "Merci : votre réponse est enregistrée." in page and "<form" not in page.split("<main>")[1]
    )
    survey = the_survey(db)
    assert (survey.score, survey.comment) == (4, "Rapide.")


def test_an_answer_posted_without_the_pages_token_is_refused(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    token = resolved_ticket(sending, smtp_inbox)
    with time_machine.travel(CLOSED_AT, tick=False):
        response = Staff(phone_app).client.post(f"/survey/{token}", data={"score": "1"})
    assert response.status_code == 400
    assert the_survey(db).answered_at is None


def test_the_link_expires_after_30_days(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    token = resolved_ticket(sending, smtp_inbox)
    last_moment = CLOSED_AT + timedelta(days=30) - timedelta(seconds=1)
    assert survey_page(phone_app, token, last_moment)[0] == 200
    status, page = survey_page(phone_app, token, CLOSED_AT + timedelta(days=30))
    assert status == 410
    assert "Le lien de ce sondage est expiré : il était valable 30 jours" in page
    assert 'name="score"' not in page


def test_an_answer_after_expiry_is_not_stored(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    token = resolved_ticket(sending, smtp_inbox)
    visitor = Staff(phone_app)
    expiry = CLOSED_AT + timedelta(days=30)
    with time_machine.travel(expiry - timedelta(minutes=5), tick=False):
        csrf = visitor.token(f"/survey/{token}")  # the form, opened just in time...
    with time_machine.travel(expiry, tick=False):  # ...and sent too late
        response = visitor.client.post(f"/survey/{token}", data={"score": "5", "csrf_token": csrf})
    assert response.status_code == 410
    assert the_survey(db).answered_at is None


def test_an_unknown_link_is_not_found(phone_app: Flask, sending: Context) -> None:
    assert survey_page(phone_app, "x" * 43)[0] == 404


def test_an_answer_without_the_form_s_token_is_refused(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    token = resolved_ticket(sending, smtp_inbox)
    response = phone_app.test_client().post(f"/survey/{token}", data={"score": "5"})
    assert response.status_code == 400
    assert the_survey(db).answered_at is None


def test_an_answer_sent_after_the_browser_lost_its_cookie_is_shown_again_filled_in(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    token = resolved_ticket(sending, smtp_inbox)
    visitor = Staff(phone_app)
    with time_machine.travel(CLOSED_AT, tick=False):
        csrf = visitor.token(f"/survey/{token}")
        visitor.client.delete_cookie("session")  # the browser dropped it while the page was open
        answer = {"score": "4", "comment": "Merci à Luc", "csrf_token": csrf}
        response = visitor.client.post(f"/survey/{token}", data=answer)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Votre réponse n'a pas pu être lue" in page
    assert 'value="4" required checked' in page and "Merci à Luc</textarea>" in page
    assert the_survey(db).answered_at is None


def test_an_unknown_link_gets_a_page_that_says_so(phone_app: Flask, sending: Context) -> None:
    status, page = survey_page(phone_app, "x" * 43)
    assert status == 404
    assert "Ce lien de sondage est inconnu" in page


def test_an_answer_without_a_score_is_asked_again(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    token = resolved_ticket(sending, smtp_inbox)
    status, page = send_answer(phone_app, token, "9")
    assert status == 400
    assert "Veuillez choisir une note de 1 à 5." in page
    assert the_survey(db).answered_at is None


def test_the_answer_shows_on_the_ticket_s_page(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox
) -> None:
    token = resolved_ticket(sending, smtp_inbox)
    send_answer(phone_app, token, "4", "Rapide et efficace.")
    helene = Staff(phone_app)
    helene.sign_in(HELENE)
    page = helene.text("/console/tickets/1001")
    assert "<h2>Sondage de satisfaction</h2>" in page
    assert "Note : 4 / 5" in page and "<blockquote>Rapide et efficace.</blockquote>" in page


def test_supervisors_read_the_average_per_month(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    token = resolved_ticket(sending, smtp_inbox)
    send_answer(phone_app, token, "4")
    first = db.scalars(select(Ticket)).one()
    db.add(  # a November answer, on another ticket (one survey per ticket)
        Survey(
            ticket_id=_another_ticket(db, first),
            token="s" * 43,
            sent_at=at(2026, 11, 20, 9),
            answered_at=at(2026, 11, 20, 10),
            score=3,
        )
    )
    db.commit()
    david = Staff(phone_app)
    david.sign_in(DAVID)
    page = david.text("/console/surveys")
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", page)
    assert rows == [("December 2026", "1", "4.00"), ("November 2026", "1", "3.00")]
    helene = Staff(phone_app)
    helene.sign_in(HELENE)
    french = helene.text("/console/surveys")
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", french)
    assert rows == [("décembre 2026", "1", "4,00"), ("novembre 2026", "1", "3,00")]
    luc = Staff(phone_app)
    luc.sign_in(LUC)
    assert luc.get("/console/surveys").status_code == 403


def _another_ticket(db: Session, model: Ticket) -> int:
    ticket = Ticket(
        number=model.number + 1,
        priority=model.priority,
        channel=model.channel,
        client_id=model.client_id,
        contact_id=model.contact_id,
    )
    db.add(ticket)
    db.flush()
    return ticket.id


def test_the_answers_appear_in_the_supervisors_dashboard(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    token = resolved_ticket(sending, smtp_inbox)
    send_answer(phone_app, token, "4")
    david = Staff(phone_app)
    david.sign_in(DAVID)
    page = david.text("/console/dashboard/")
    section = page[page.index('id="satisfaction"') :]
    assert '<td class="number">1</td><td class="number">4.00</td>' in section


@pytest.mark.parametrize("score", ["٣", "³", "+3"])
def test_a_score_is_one_of_the_forms_ascii_digits_and_nothing_else(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox, db: Session, score: str
) -> None:
    token = resolved_ticket(sending, smtp_inbox)
    status, page = send_answer(phone_app, token, score)
    assert status == 400
    assert "Veuillez choisir une note de 1 à 5." in page
    assert the_survey(db).answered_at is None
