"""What the console says of an email to a client is what its delivery record says: a public
note, the survey's invitation and every email to the client read "sent" only once it has left,
and "not sent" with the reason in words when a mail server refused it for good. Whoever answers
for the ticket is told by email, once, so that they phone the client.

Ticket 1001 is Marie Tremblay's call of Tuesday December 1 2026 at 10:00 (``desk``); the pages
are read by David Miller, a supervisor who reads the console in English.
"""

from __future__ import annotations

import smtplib
from datetime import datetime
from email.message import EmailMessage as MimeMessage
from html import unescape

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.context import Context
from models import Contact, DeliveryState, Notification, OutboxTask
from sending import delivery, staff_notices
from tests.conftest import SmtpInbox
from tests.console_world import CONFIRMED, DAVID, HELENE, JULIE, LUC, signed_in_at
from tests.mailing import run_due_tasks, worker
from tests.phone import RecordingTwilioHttp, at

NOTE_AT = at(2026, 12, 1, 11)
SENT_AT = at(2026, 12, 1, 11, 1)
READ_AT = at(2026, 12, 1, 11, 5)
NOTE = "Le correctif de Sage 50 est installé, redémarrez le poste."
MARIE_ADDRESS = "marie@boulangerie.example"
REFUSAL = "Email NOT delivered to the client"  # David's subject of a refused email's notice
REFUSAL_FR = "Courriel NON reçu par le client : billet 1001"


def send_with(app: Flask, smtp: SmtpInbox) -> Context:
    """The worker, sending through ``smtp``."""
    return worker(app, smtp).replace(twilio_http=RecordingTwilioHttp())


def act(app: Flask, who: str, path: str, form: dict[str, str], moment: datetime = NOTE_AT) -> None:
    with signed_in_at(app, who, moment) as person:
        answer = person.post(f"/console/tickets/1001/{path}", form)
        assert answer.status_code == 302


def public_note(app: Flask, who: str = LUC, text: str = NOTE) -> None:
    act(app, who, "notes", {"text": text, "visibility": "public"})


def work(context: Context, moment: datetime = SENT_AT) -> None:
    with time_machine.travel(moment, tick=False):
        run_due_tasks(context)


def page(app: Flask) -> str:
    with signed_in_at(app, DAVID, READ_AT) as david:
        return unescape(david.text("/console/tickets/1001"))


def mail_to(smtp: SmtpInbox, address: str, subject: str) -> list[str]:
    """The text of each email to ``address`` whose subject holds ``subject``."""
    found = [m for m in smtp.messages if m["To"] == address and subject in str(m["Subject"])]
    return [_plain(m) for m in found]


def _plain(message: MimeMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


@pytest.fixture
def refusing(desk: Flask, refusing_smtp: SmtpInbox) -> Context:
    return send_with(desk, refusing_smtp)


def test_a_public_note_whose_email_has_not_left_yet_says_it_waits(
    desk: Flask, refusing: Context
) -> None:
    public_note(desk)
    shown = page(desk)
    assert "public: email to the client waiting to be sent" in shown
    assert "emailed to the client on" not in shown


def test_a_public_note_the_clients_mail_server_refused_says_not_emailed_and_why(
    desk: Flask, refusing: Context
) -> None:
    public_note(desk)
    work(refusing)
    shown = page(desk)
    assert "public: NOT emailed to the client — refused by their mail server" in shown
    assert "refused by the recipient's mail server (550 5.1.1 No such user here)" in shown
    assert "Refused:" not in shown  # no Python class name on a page
    assert "emailed to the client on" not in shown


def test_a_public_note_emailed_says_when_it_left(desk: Flask, smtp_inbox: SmtpInbox) -> None:
    public_note(desk)
    work(send_with(desk, smtp_inbox))
    assert "public: emailed to the client on Tue Dec 1, 11:01" in page(desk)


def test_a_public_note_on_a_ticket_whose_client_has_no_email_says_nobody_is_emailed(
    desk: Flask, db: Session, smtp_inbox: SmtpInbox
) -> None:
    marie = db.scalars(select(Contact).where(Contact.email == MARIE_ADDRESS)).one()
    marie.email = None
    db.commit()
    public_note(desk)
    work(send_with(desk, smtp_inbox))
    assert "public: NOT emailed — the client has no email address on file" in page(desk)


def test_a_refusal_is_kept_as_a_reason_and_the_servers_own_reply(
    desk: Flask, refusing: Context, db: Session
) -> None:
    public_note(desk)
    work(refusing)
    db.expire_all()
    to_marie = db.scalars(select(Notification).where(Notification.recipient == MARIE_ADDRESS))
    for row in to_marie:
        assert row.state == DeliveryState.REFUSED
        assert (row.failure, row.last_error) == ("recipient_refused", "550 5.1.1 No such user here")


def test_the_survey_card_says_the_invitation_was_not_emailed_when_it_was_refused(
    desk: Flask, refusing: Context
) -> None:
    act(desk, LUC, "resolve", CONFIRMED)
    work(refusing)
    shown = page(desk)
    assert "Invitation NOT sent: refused by the client's mail server." in shown
    assert "not answered" not in shown


def test_the_technician_who_has_the_ticket_is_emailed_that_the_client_did_not_get_the_note(
    desk: Flask, refusing: Context, refusing_smtp: SmtpInbox
) -> None:
    act(desk, LUC, "take", {})
    public_note(desk)
    work(refusing)
    [told] = [t for t in mail_to(refusing_smtp, LUC, REFUSAL_FR) if NOTE in t]
    assert "n'a pas été livré : le serveur de courriel du destinataire l'a refusé." in told
    assert "Appelez Marie Tremblay (Boulangerie Saint-Denis) au +15145550101" in told
    assert f"Destinataire : {MARIE_ADDRESS}" in told
    assert "Réponse du serveur : 550 5.1.1 No such user here" in told
    assert f"> {NOTE}" in told
    assert "https://support.altilogix.example/console/tickets/1001" in told


def test_a_refused_email_is_told_once_however_often_its_job_runs(
    desk: Flask, refusing: Context, refusing_smtp: SmtpInbox, db: Session
) -> None:
    act(desk, LUC, "take", {})
    public_note(desk)
    work(refusing)
    refused = db.scalars(select(Notification).where(Notification.recipient == MARIE_ADDRESS))
    for row in refused:
        staff_notices.tell_refused(refusing, row.id)
    told = [t for t in mail_to(refusing_smtp, LUC, REFUSAL_FR) if NOTE in t]
    assert len(told) == 1


def test_the_notes_author_is_told_when_nobody_has_the_ticket(
    desk: Flask, refusing: Context, refusing_smtp: SmtpInbox
) -> None:
    public_note(desk, JULIE)
    work(refusing)
    assert [t for t in mail_to(refusing_smtp, JULIE, REFUSAL_FR) if NOTE in t] != []
    assert [t for t in mail_to(refusing_smtp, HELENE, REFUSAL_FR) if NOTE in t] == []


def test_the_supervisors_are_told_when_nobody_answers_for_a_refused_email(
    desk: Flask, refusing: Context, refusing_smtp: SmtpInbox
) -> None:
    work(refusing)  # the phone ticket's written confirmation, refused; nobody took the ticket
    assert len(mail_to(refusing_smtp, HELENE, REFUSAL_FR)) == 1
    [told] = mail_to(refusing_smtp, DAVID, REFUSAL)
    assert "was not delivered: the recipient's mail server refused it." in told


def test_an_address_only_put_off_for_now_is_tried_again_and_nobody_is_told(
    desk: Flask, deferring_smtp: SmtpInbox, db: Session
) -> None:
    with pytest.raises(RuntimeError, match="Deferred"):  # for RQ to try again
        work(send_with(desk, deferring_smtp))
    db.expire_all()
    confirmation = db.scalars(
        select(Notification).where(Notification.recipient == MARIE_ADDRESS)
    ).one()
    assert (confirmation.state, confirmation.failure) == (DeliveryState.FAILED, "deferred")
    assert confirmation.last_error == "451 4.7.1 Greylisted, try again later"
    tasks = db.scalars(select(OutboxTask.task)).all()
    assert "notification.tell_refused" not in tasks


def test_an_address_put_off_at_every_try_is_given_up_and_the_staff_are_told(
    desk: Flask, deferring_smtp: SmtpInbox, db: Session
) -> None:
    context = send_with(desk, deferring_smtp)
    with pytest.raises(RuntimeError, match="Deferred"):
        work(context)
    db.expire_all()
    confirmation = db.scalars(
        select(Notification).where(Notification.recipient == MARIE_ADDRESS)
    ).one()
    confirmation.attempts = delivery.TRIES - 1  # the outbox's last retry comes next
    db.commit()
    with time_machine.travel(at(2026, 12, 1, 11, 25), tick=False):
        delivery.deliver_one(context, confirmation.id)
    db.expire_all()
    assert (confirmation.state, confirmation.failure) == (DeliveryState.REFUSED, "deferred")
    assert "notification.tell_refused" in db.scalars(select(OutboxTask.task)).all()


def test_a_client_email_given_up_after_every_try_says_so_on_its_page(
    desk: Flask, deferring_smtp: SmtpInbox, db: Session
) -> None:
    context = send_with(desk, deferring_smtp)
    public_note(desk)
    with pytest.raises(RuntimeError, match="Deferred"):
        work(context)
    db.expire_all()
    for row in db.scalars(select(Notification).where(Notification.recipient == MARIE_ADDRESS)):
        row.attempts = delivery.TRIES - 1
        db.commit()
        with time_machine.travel(at(2026, 12, 1, 11, 25), tick=False):
            delivery.deliver_one(context, row.id)
    assert "public: NOT emailed to the client — sending failed at every try" in page(desk)


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 Bad credentials"), "error"),
        (smtplib.SMTPNotSupportedError("STARTTLS extension not supported"), "error"),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), "unreachable"),
        (ConnectionRefusedError(111, "Connection refused"), "unreachable"),
    ],
)
def test_a_failure_of_our_own_setup_is_not_called_a_server_out_of_reach(
    error: Exception, said: str
) -> None:
    assert delivery.failure_of(error) == said
