"""What email sets going, as a real SMTP server receives it: the policy's acknowledgement, the
technicians' notices, the reply to somebody not authorized, the written trace of a phone
ticket; and never a mail loop."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage as MimeMessage

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import jobs, tickets
from helpdesk.context import Context
from mail import intake as email_intake
from mail.intake import Intake
from models import (
    DeliveryState,
    EmailMessage,
    HoldReason,
    MailDirection,
    Notification,
    OutboxTask,
    StaffMember,
    Ticket,
    utcnow,
)
from sending import clients, delivery
from tests.conftest import SmtpInbox
from tests.mailing import (
    EMILY,
    MARIE,
    STRANGER,
    URGENT,
    corpus,
    is_acknowledgement,
    letter,
    prepare,
    run_due_tasks,
    worker,
)
from tests.phone import EMILY as EMILY_PHONE
from tests.phone import RecordingTwilioHttp, at, place_call

POLICY_REGULAR = (
    "Nous avons bien reçu votre message pour du support régulier, notre personnel en a été "
    "notifié à la fois par courriel et par télé-avertisseur, nous communiquerons avec vous dans "
    "les plus brefs délais (< 4 h.).\n"
    "*** SVP, ne pas répondre à ce message, il s’agit d’un accusé de réception automatisé ***\n"
    "\n"
    "Merci\n"
    "L’équipe de support technique d’AltiLogix Inc.\n"
)
POLICY_URGENT = POLICY_REGULAR.replace("support régulier", "support urgent").replace(
    "(< 4 h.)", "(< 1 h.)"
)
TUESDAY_10H = at(2026, 12, 1, 10)


@pytest.fixture
def twilio_api() -> RecordingTwilioHttp:
    return RecordingTwilioHttp()


@pytest.fixture
def sending(
    phone_app: Flask, db: Session, smtp_inbox: SmtpInbox, twilio_api: RecordingTwilioHttp
) -> Context:
    """The worker, sending to the loopback SMTP server, with Twilio's API recorded."""
    prepare(db)
    return worker(phone_app, smtp_inbox).replace(twilio_http=twilio_api)


@pytest.fixture
def tuesday() -> Iterator[None]:
    with time_machine.travel(TUESDAY_10H, tick=False):
        yield


def receive(context: Context, raw: bytes, when: datetime = TUESDAY_10H) -> Intake:
    """The message arrives (by any door: they share the intake), then the worker runs."""
    with time_machine.travel(when, tick=False):
        intake = email_intake.receive(context, raw, source="pipe")
        run_due_tasks(context)
    return intake


def to(inbox: SmtpInbox, address: str) -> list[MimeMessage]:
    return [m for m in inbox.messages if m["To"] == address]


def plain(message: MimeMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert isinstance(part, MimeMessage)
    return str(part.get_content()).replace("\r\n", "\n")


def html(message: MimeMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert isinstance(part, MimeMessage)
    return str(part.get_content()).replace("\r\n", "\n")


def test_a_french_contact_gets_the_policy_s_regular_acknowledgement_word_for_word(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    receive(sending, letter(sender=MARIE, subject="Sage 50 ne démarre plus"))
    [ack] = to(smtp_inbox, "marie.tremblay@boulangerie.example")
    assert ack["Subject"] == "[#1001] Sage 50 ne démarre plus"
    assert plain(ack) == (
        POLICY_REGULAR + "\n"
        "Numéro de billet : 1001\n"
        "Retour d’appel au plus tard : le mardi 1er décembre 2026 à 14 h (heure de Montréal)\n"
    )


def test_an_urgent_email_gets_the_policy_s_urgent_acknowledgement_word_for_word(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    receive(sending, letter(sender=MARIE, to=URGENT))
    [ack] = to(smtp_inbox, "marie.tremblay@boulangerie.example")
    assert ack["From"] == URGENT
    assert plain(ack) == (
        POLICY_URGENT + "\n"
        "Numéro de billet : 1001\n"
        "Retour d’appel au plus tard : le mardi 1er décembre 2026 à 11 h (heure de Montréal)\n"
    )


def test_an_english_contact_gets_the_acknowledgement_in_english(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    receive(sending, letter(sender=EMILY, subject="Payroll stuck"))
    [ack] = to(smtp_inbox, "emily@dental.example")
    assert ack["Subject"] == "[#1001] Payroll stuck"
    assert plain(ack) == (
        "We have received your message for regular support. Our staff have been notified by "
        "both email and pager, and we will contact you as soon as possible (< 4 h.).\n"
        "*** Please do not reply to this message; it is an automated acknowledgement of "
        "receipt ***\n"
        "\n"
        "Thank you\n"
        "The AltiLogix Inc. technical support team\n"
        "\n"
        "Ticket number: 1001\n"
        "Callback due: Tuesday, December 1, 2026 at 2 PM (Montreal time)\n"
    )


def test_an_email_without_a_subject_is_answered_under_no_subject_in_the_contact_s_language(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    receive(sending, letter(sender=EMILY, subject=""))
    receive(sending, letter(sender=MARIE, subject=""))
    [emily] = to(smtp_inbox, "emily@dental.example")
    [marie] = to(smtp_inbox, "marie.tremblay@boulangerie.example")
    assert (emily["Subject"], marie["Subject"]) == ("[#1001] (no subject)", "[#1002] (sans objet)")


def test_the_acknowledgement_is_an_auto_reply_whose_message_id_is_kept_for_threading(
    sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    original = letter(sender=MARIE)
    intake = receive(sending, original)
    [ack] = to(smtp_inbox, "marie.tremblay@boulangerie.example")
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["X-Auto-Response-Suppress"] == "All"
    assert ack["X-AltiLogix-Ticket"] == "1001"
    assert ack["Date"].datetime == TUESDAY_10H  # when it left: mail programs sort by it
    assert ack["In-Reply-To"] == ack["References"] == f"<{intake.message_id}>"
    ours = str(ack["Message-ID"]).strip("<>")
    assert ours.endswith("@altilogix.example")
    kept = db.scalars(select(EmailMessage).where(EmailMessage.message_id == ours)).one()
    assert (kept.direction, kept.ticket_id) == (MailDirection.OUT, db.scalar(select(Ticket.id)))


def test_the_acknowledgement_has_text_and_html_parts_with_accents_encoded(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    receive(sending, letter(sender=MARIE))
    [ack] = to(smtp_inbox, "marie.tremblay@boulangerie.example")
    assert ack.get_content_type() == "multipart/alternative"
    assert "<p>Nous avons bien reçu votre message pour du support régulier" in html(ack)
    assert "(&lt; 4 h.).<br>" in html(ack)
    headers = ack.as_bytes().split(b"\n\n", 1)[0]
    assert b"Subject: [#1001] Sage 50 ne =?utf-8?q?d=C3=A9marre" in headers  # RFC 2047 encoded
    assert headers.isascii()


def test_an_email_says_its_language_in_a_header_and_in_its_html(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    receive(sending, letter(sender=MARIE))
    receive(sending, letter(sender=STRANGER, subject="Besoin d'aide"))
    [ack] = to(smtp_inbox, "marie.tremblay@boulangerie.example")
    [answer] = to(smtp_inbox, "paul@ailleurs.example")
    assert ack["Content-Language"] == "fr"
    assert html(ack).startswith('<!DOCTYPE html>\n<html lang="fr">')
    assert answer["Content-Language"] == "fr, en"  # a stranger is answered in both, French first


def test_a_reply_to_the_acknowledgement_lands_on_its_ticket_and_is_not_acknowledged(
    sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    receive(sending, letter(sender=MARIE))
    [ack] = to(smtp_inbox, "marie.tremblay@boulangerie.example")
    reply = letter(sender=MARIE, subject=f"Re: {ack['Subject']}", In_Reply_To=ack["Message-ID"])
    intake = receive(sending, reply, at(2026, 12, 1, 10, 5))
    assert (intake.outcome, intake.ticket_number) == (email_intake.Outcome.REPLY, 1001)
    assert len(to(smtp_inbox, "marie.tremblay@boulangerie.example")) == 1
    assert db.scalars(select(Ticket.number)).all() == [1001]


def test_the_technicians_on_duty_are_told_by_email_and_pager(
    sending: Context, smtp_inbox: SmtpInbox, twilio_api: RecordingTwilioHttp
) -> None:
    receive(sending, letter(sender=MARIE, subject="Sage 50 ne démarre plus"))
    [luc] = to(smtp_inbox, "luc@altilogix.example")
    assert luc["Subject"] == "[AltiLogix] Billet 1001, support régulier : Boulangerie Saint-Denis"
    assert len(to(smtp_inbox, "sophie@altilogix.example")) == 1
    assert [r["data"]["To"] for r in twilio_api.requests] == ["+15145550171", "+15145550172"]


def test_at_night_an_emailed_request_is_emailed_and_paged_at_once_with_its_deadline(
    sending: Context, smtp_inbox: SmtpInbox, twilio_api: RecordingTwilioHttp, db: Session
) -> None:
    receive(sending, letter(sender=MARIE), at(2026, 12, 1, 22))
    assert len(to(smtp_inbox, "luc@altilogix.example")) == 1
    assert len(to(smtp_inbox, "marie.tremblay@boulangerie.example")) == 1
    pages = [request["data"]["Body"] for request in twilio_api.requests]
    assert len(pages) == 2  # the acknowledgement says staff were paged: they were
    assert all("Rappel avant mer. 2 déc. 12 h 30" in page for page in pages)  # tomorrow, not now


def test_the_acknowledgement_leaves_after_the_technicians_notices(
    sending: Context, smtp_inbox: SmtpInbox, twilio_api: RecordingTwilioHttp, db: Session
) -> None:
    receive(sending, letter(sender=MARIE), at(2026, 12, 1, 22))
    db.expire_all()
    staff = db.scalars(select(Notification).where(Notification.staff_member_id.is_not(None)))
    ack = db.scalars(select(Notification).where(Notification.staff_member_id.is_(None))).one()
    assert ack.sent_at is not None
    assert all(n.sent_at is not None and n.sent_at <= ack.sent_at for n in staff)
    order = [m["To"] for m in smtp_inbox.messages]
    assert order.index("marie.tremblay@boulangerie.example") == len(order) - 1


def test_the_acknowledgement_still_goes_when_a_page_fails_and_supervisors_see_the_failure(
    sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    failing = sending.replace(twilio_http=RecordingTwilioHttp(status=500))
    with pytest.raises(RuntimeError, match="TwilioRestException"):  # RQ will try it again
        receive(failing, letter(sender=MARIE), at(2026, 12, 1, 10))
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        jobs.perform(failing, _task_id(db, "email.acknowledge"))
    assert len(to(smtp_inbox, "marie.tremblay@boulangerie.example")) == 1
    db.expire_all()
    failed = db.scalars(select(Notification).where(Notification.state == DeliveryState.FAILED))
    assert {n.channel.value for n in failed} == {"sms"}


def _task_id(db: Session, name: str) -> int:
    db.expire_all()
    return db.scalars(
        select(OutboxTask.id).where(OutboxTask.task == name, OutboxTask.run_at <= utcnow())
    ).one()


def test_a_technician_is_told_when_the_client_writes_on_the_ticket(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    receive(sending, letter(sender=MARIE))
    smtp_inbox.messages.clear()
    reply = letter(sender=MARIE, subject="Re: [#1001]", body="Le message d'erreur est E-42.")
    receive(sending, reply, at(2026, 12, 1, 10, 30))
    [luc] = to(smtp_inbox, "luc@altilogix.example")
    assert luc["Subject"] == "[AltiLogix] Nouveau courriel, billet 1001 : Boulangerie Saint-Denis"
    assert plain(luc) == (
        "Le client a écrit au billet 1001 (support régulier).\n"
        "De : marie.tremblay@boulangerie.example\n"
        "Objet : Re: [#1001]\n\n"
        "Le message d'erreur est E-42.\n\n"
        "Le billet dans la console : https://support.altilogix.example/console/tickets/1001\n"
    )


def test_a_technician_is_told_when_the_clients_email_reopens_the_ticket(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    receive(sending, letter(sender=MARIE))
    with time_machine.travel(at(2026, 12, 1, 11), tick=False), sending.transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == 1001)).one()
        tickets.resolve(ticket, None, reopen_within=timedelta(days=14))
    smtp_inbox.messages.clear()
    reply = letter(sender=MARIE, subject="Re: [#1001]", body="Non, ce n'est pas réglé.")
    receive(sending, reply, at(2026, 12, 1, 14))
    subjects = [m["Subject"].strip() for m in to(smtp_inbox, "luc@altilogix.example")]
    assert subjects == ["[AltiLogix] Billet 1001 rouvert par le client : Boulangerie Saint-Denis"]


def test_the_technicians_notice_names_the_files_the_client_sent(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    receive(sending, letter(sender=MARIE))
    smtp_inbox.messages.clear()
    reply = email.message_from_bytes(
        letter(sender=MARIE, subject="Re: [#1001]", body="Voici les captures."),
        _class=MimeMessage,
        policy=email.policy.default,
    )
    reply.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="erreur.pdf")
    reply.add_attachment(b"\x89PNG", maintype="image", subtype="png", filename="ecran.png")
    receive(sending, reply.as_bytes(), at(2026, 12, 1, 10, 30))
    [luc] = to(smtp_inbox, "luc@altilogix.example")
    listed = "Pièces jointes du client (dans la console, par le lien ci-dessous) :\n"
    listed += "- erreur.pdf (8 o)\n- ecran.png (4 o)\n\n"
    assert f"Voici les captures.\n\n{listed}" in plain(luc)


def test_a_stranger_is_answered_in_both_languages_with_no_callback_promise(
    sending: Context, smtp_inbox: SmtpInbox, twilio_api: RecordingTwilioHttp
) -> None:
    receive(sending, letter(sender=STRANGER, subject="Besoin d'aide"))
    [answer] = to(smtp_inbox, "paul@ailleurs.example")
    assert answer["Subject"] == (
        "Votre message au support d’AltiLogix / Your message to AltiLogix support"
    )
    text = plain(answer)
    assert text.startswith(
        "Bonjour,\n\nNous avons bien reçu votre message. Seules les personnes désignées par "
        "chaque client, au nombre de 4 au maximum, peuvent nous soumettre un problème ou un "
        "incident."
    )
    assert "Each client designates up to 4 people, and only they may report" in text
    assert "1001" not in text and "rappel" not in text.lower() and "call" not in text.lower()
    assert answer["Auto-Submitted"] == "auto-replied"
    supervisors = sorted(m["To"] for m in smtp_inbox.messages if m is not answer)
    assert supervisors == ["david@altilogix.example", "helene@altilogix.example"]
    assert twilio_api.requests == []  # nobody is paged for a message to verify


def test_nothing_is_sent_in_answer_to_automatic_mail(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    for name in ("outlook_out_of_office.eml", "postfix_bounce.eml", "gmail_vacation.eml"):
        receive(sending, corpus(name))
    assert smtp_inbox.messages == []


# The same text again, as an answer to something: what a responder that does not say it is one
# sends back (a client's new request, even the same one twice, is never held).
ANSWERING = "RE: Sage 50 ne démarre plus"


def acknowledgements(inbox: SmtpInbox) -> list[MimeMessage]:
    return [m for m in to(inbox, "marie.tremblay@boulangerie.example") if is_acknowledgement(m)]


def test_a_sender_that_answers_every_answer_within_minutes_is_held_as_a_loop(
    sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    for minute in range(5):  # a responder that does not say it is one, answering each answer
        body, answered = f"Réponse automatique {minute}", f"<answer-{minute}@elsewhere.example>"
        raw = letter(sender=MARIE, body=body, In_Reply_To=answered)
        receive(sending, raw, at(2026, 12, 1, 10, minute))
    assert len(acknowledgements(smtp_inbox)) == 3  # MAIL_LOOP_BURST is 4
    db.expire_all()
    held = db.scalars(select(Notification).where(Notification.state == DeliveryState.HELD))
    assert [(n.recipient, n.hold_reason) for n in held] == [
        ("marie.tremblay@boulangerie.example", HoldReason.BURST)
    ] * 2


def test_the_same_text_again_is_held_as_a_loop(
    sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    receive(sending, letter(sender=MARIE), at(2026, 12, 1, 10))
    receive(sending, letter(sender=MARIE, subject=ANSWERING), at(2026, 12, 1, 11))
    assert len(acknowledgements(smtp_inbox)) == 1
    db.expire_all()
    held = db.scalars(select(Notification).where(Notification.state == DeliveryState.HELD)).one()
    assert held.hold_reason == HoldReason.REPEATED


def test_a_client_who_sends_the_same_request_twice_gets_both_acknowledgements(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    receive(sending, letter(sender=MARIE), at(2026, 12, 1, 10))
    receive(sending, letter(sender=MARIE), at(2026, 12, 1, 11))
    assert len(acknowledgements(smtp_inbox)) == 2


def test_a_client_with_several_requests_in_an_hour_gets_every_acknowledgement(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    for hour_part in range(3):
        subject, body = f"Demande {hour_part}", f"Problème numéro {hour_part}"
        raw = letter(sender=MARIE, subject=subject, body=body)
        receive(sending, raw, at(2026, 12, 1, 10, 20 * hour_part))
    acknowledgements = [
        m for m in to(smtp_inbox, "marie.tremblay@boulangerie.example") if is_acknowledgement(m)
    ]
    assert len(acknowledgements) == 3


def test_a_client_who_writes_five_new_requests_in_a_minute_gets_every_acknowledgement(
    sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    for second in range(0, 60, 12):
        subject, body = f"Demande {second}", f"Problème à la seconde {second}"
        raw = letter(sender=MARIE, subject=subject, body=body)
        receive(sending, raw, at(2026, 12, 1, 10) + timedelta(seconds=second))
    assert len(acknowledgements(smtp_inbox)) == 5
    db.expire_all()
    assert (
        db.scalars(select(Notification).where(Notification.state == DeliveryState.HELD)).all() == []
    )


def test_a_reply_to_a_colleague_after_three_new_requests_gets_its_acknowledgement(
    sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    for minute in range(3):
        raw = letter(sender=MARIE, subject=f"Demande {minute}", body=f"Problème {minute}")
        receive(sending, raw, at(2026, 12, 1, 10, minute))
    # Her own office's thread, answered the Outlook way: "RE:", In-Reply-To of theirs.
    colleague = "<internal-thread-77@boulangerie.example>"
    raw = letter(
        sender=MARIE, subject="RE: Rapport vide", body="Voir plus bas", In_Reply_To=colleague
    )
    receive(sending, raw, at(2026, 12, 1, 10, 3))
    assert len(acknowledgements(smtp_inbox)) == 4
    db.expire_all()
    assert (
        db.scalars(select(Notification).where(Notification.state == DeliveryState.HELD)).all() == []
    )


def test_replies_in_a_burst_are_held_when_their_subjects_say_re(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    for minute in range(5):
        raw = letter(sender=MARIE, subject="RE : Votre message", body=f"Réponse {minute}")
        receive(sending, raw, at(2026, 12, 1, 10, minute))
    assert len(acknowledgements(smtp_inbox)) == 3  # MAIL_LOOP_BURST is 4


def test_a_busy_client_answering_a_closed_ticket_gets_the_new_tickets_acknowledgement(
    sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    receive(sending, letter(sender=MARIE), at(2026, 12, 1, 10))
    for minute in (1, 2, 3):  # more details on her open ticket, within minutes
        details = letter(sender=MARIE, subject="Re: [#1001] Sage 50", body=f"Détail {minute}")
        receive(sending, details, at(2026, 12, 1, 10, minute))
    with sending.transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == 1001)).one()
        helene = session.scalars(select(StaffMember).where(StaffMember.name == "Hélène Bergeron"))
        tickets.close(ticket, helene.one().id, reopen_within=timedelta(days=14))
    again = letter(sender=MARIE, subject="Re: [#1001] Sage 50", body="Ça recommence.")
    receive(sending, again, at(2026, 12, 1, 10, 4))
    assert [m["Subject"] for m in acknowledgements(smtp_inbox)][-1].startswith("[#1002]")
    db.expire_all()
    assert (
        db.scalars(select(Notification).where(Notification.state == DeliveryState.HELD)).all() == []
    )


def test_the_supervisors_are_told_by_email_of_a_held_answer(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    receive(sending, letter(sender=MARIE), at(2026, 12, 1, 10))
    receive(sending, letter(sender=MARIE, subject=ANSWERING), at(2026, 12, 1, 11))
    [told] = to(smtp_inbox, "helene@altilogix.example")
    assert told["Subject"] == "[AltiLogix] Réponse au client retenue : billet 1002"
    text = plain(told)
    assert text.startswith(
        "La réponse automatique à marie.tremblay@boulangerie.example pour le billet 1002 est "
        "retenue : le même texte que l'expéditeur a déjà envoyé aujourd'hui"
    )
    assert "/console/tickets/1002" in text


def test_a_supervisor_can_send_a_held_answer_anyway(
    sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    receive(sending, letter(sender=MARIE), at(2026, 12, 1, 10))
    receive(sending, letter(sender=MARIE, subject=ANSWERING), at(2026, 12, 1, 11))
    db.expire_all()
    held = db.scalars(select(Notification).where(Notification.state == DeliveryState.HELD)).one()
    helene = db.scalars(select(StaffMember).where(StaffMember.name == "Hélène Bergeron")).one()
    with sending.transaction() as session:
        assert delivery.release(session, held.id, helene.id) is True
    run_due_tasks(sending)
    assert len(acknowledgements(smtp_inbox)) == 2
    db.expire_all()
    sent = db.get(Notification, held.id)
    assert sent is not None and (sent.state, sent.released_by_id) == (DeliveryState.SENT, helene.id)


def test_an_acknowledgement_job_run_twice_sends_once(
    sending: Context, smtp_inbox: SmtpInbox, db: Session, tuesday: None
) -> None:
    intake = email_intake.receive(sending, letter(sender=MARIE), source="http")
    email_id = db.scalars(
        select(EmailMessage.id).where(EmailMessage.message_id == intake.message_id)
    ).one()
    clients.acknowledge(sending, email_id)
    clients.acknowledge(sending, email_id)
    assert len(to(smtp_inbox, "marie.tremblay@boulangerie.example")) == 1


def test_a_cata_call_a_technician_took_is_confirmed_once_the_call_ends(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox
) -> None:
    place_call(phone_app, at(2026, 12, 1, 10, 2), press="7", techs=("accept",))
    with time_machine.travel(at(2026, 12, 1, 10, 4), tick=False):  # before the safety net
        run_due_tasks(sending)
    [confirmation] = to(smtp_inbox, "marie.tremblay@boulangerie.example")
    assert "vous a parlé à 10 h 02" in plain(confirmation)


def test_a_cata_call_a_technician_took_is_confirmed_as_a_conversation_with_no_promise(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox
) -> None:
    marie = "marie.tremblay@boulangerie.example"
    place_call(phone_app, at(2026, 12, 1, 10, 2), press="7", techs=("accept",))
    with time_machine.travel(at(2026, 12, 1, 10, 20), tick=False):
        run_due_tasks(sending)
    [confirmation] = to(smtp_inbox, marie)
    text = plain(confirmation)
    assert text.startswith(
        "Bonjour,\n\nLuc Gagnon, d’AltiLogix, vous a parlé à 10 h 02 au sujet de votre appel "
        "au support urgent, consigné sous le billet 1001.\n"
    )
    assert "au plus tard" not in text and "communiquerons" not in text


def test_an_english_contact_reads_who_from_altilogix_spoke_with_them(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox
) -> None:
    place_call(phone_app, at(2026, 12, 1, 10, 2), caller=EMILY_PHONE, press="7", techs=("accept",))
    with time_machine.travel(at(2026, 12, 1, 10, 20), tick=False):
        run_due_tasks(sending)
    [confirmation] = to(smtp_inbox, "emily@dental.example")
    assert plain(confirmation).startswith(
        "Hello,\n\nLuc Gagnon from AltiLogix spoke with you at 10:02 AM about your call to "
        "urgent support, logged as ticket 1001.\n"
    )
    assert confirmation["Content-Language"] == "en"
    assert '<html lang="en">' in html(confirmation)


def test_a_ticket_opened_by_phone_is_confirmed_by_email_to_its_contact(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    marie = "marie.tremblay@boulangerie.example"
    place_call(phone_app, TUESDAY_10H, press="6")
    with time_machine.travel(at(2026, 12, 1, 10, 2), tick=False):
        run_due_tasks(sending)
    [confirmation] = to(smtp_inbox, marie)
    assert confirmation["Subject"] == "[#1001] Votre appel au support d’AltiLogix"
    assert confirmation["Auto-Submitted"] == "auto-generated"
    assert plain(confirmation) == (
        "Bonjour,\n\n"
        "Votre appel au support régulier est consigné sous le billet 1001. Nous communiquerons "
        "avec vous au plus tard le mardi 1er décembre 2026 à 14 h (heure de Montréal).\n"
        "*** SVP, ne pas répondre à ce message, il s’agit d’un message automatisé ***\n\n"
        "Merci\n"
        "L’équipe de support technique d’AltiLogix Inc.\n"
    )
