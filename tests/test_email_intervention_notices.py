"""A notice to the client for each intervention, as a real SMTP server receives it: a callback
that reached them, a public note, the ticket resolved (with the survey) or reopened; never
held back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from email.message import EmailMessage as MimeMessage
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import banks, callbacks, tickets, time_entries
from helpdesk.context import Context
from helpdesk.interventions import announce_time_entry
from mail import intake as email_intake
from models import (
    CallbackRequest,
    DeliveryState,
    Notification,
    OutboxTask,
    StaffMember,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TimeEntry,
)
from tests.banking import LOW, MONTREAL, form
from tests.conftest import SmtpInbox
from tests.mailing import EMILY, MARIE, REOPEN, letter, prepare, run_due_tasks, worker
from tests.phone import RecordingTwilioHttp, at, place_call

TUESDAY_10H = at(2026, 12, 1, 10)
NO_ANSWER = callbacks.Attempt.NO_ANSWER
WORK_START, WORK_END = at(2026, 12, 1, 10, 20), at(2026, 12, 1, 10, 40)
SYLVIE = "Sylvie Pelletier <sylvie@quincaillerie.example>"  # authorized, no hour bank
LATER = at(2026, 12, 1, 11)
MARIE_ADDRESS = "marie.tremblay@boulangerie.example"
TICKET_SUBJECT = "[#1001] Sage 50 ne démarre plus"  # every email's: the ticket's own
FOOTER_FR = (
    "Numéro de billet : 1001\n"
    "Pour nous écrire au sujet de ce billet, répondez simplement à ce courriel.\n"
    "\n"
    "Merci\n"
    "L’équipe de support technique d’AltiLogix Inc.\n"
)

Act = Callable[[Session, Ticket, int], None]


@pytest.fixture
def sending(phone_app: Flask, db: Session, smtp_inbox: SmtpInbox) -> Context:
    prepare(db)
    return worker(phone_app, smtp_inbox).replace(twilio_http=RecordingTwilioHttp())


def emailed_ticket(context: Context, smtp: SmtpInbox, sender: str = MARIE) -> str:
    """Ticket 1001 opened by the contact's email, acknowledged; its Message-ID."""
    with time_machine.travel(TUESDAY_10H, tick=False):
        intake = email_intake.receive(context, letter(sender=sender), source="pipe")
        run_due_tasks(context)
    smtp.messages.clear()
    assert intake.message_id is not None
    return intake.message_id


def act(context: Context, what: Act) -> None:
    """A technician's act on ticket 1001 in one unit of work, then the worker runs."""
    with time_machine.travel(LATER, tick=False):
        with context.transaction() as session:
            ticket = session.scalars(select(Ticket).where(Ticket.number == 1001)).one()
            luc = session.scalars(select(StaffMember).where(StaffMember.name == "Luc Gagnon"))
            what(session, ticket, luc.one().id)
        run_due_tasks(context)


def plain(message: MimeMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert isinstance(part, MimeMessage)
    return str(part.get_content()).replace("\r\n", "\n")


def public_note(_s: Session, ticket: Ticket, staff_id: int) -> None:
    tickets.add_note(
        ticket, staff_id, "Réinstallez la mise à jour 2026.1.\nPuis redémarrez.", public=True
    )


def test_a_public_note_is_emailed_to_the_contact_threaded_on_the_ticket(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    first = emailed_ticket(sending, smtp_inbox)
    act(sending, public_note)
    [notice] = smtp_inbox.messages
    assert notice["To"] == MARIE_ADDRESS
    assert notice["From"] == "support-regulier@altilogix.example"
    assert notice["Subject"] == TICKET_SUBJECT
    assert notice["In-Reply-To"] == notice["References"] == f"<{first}>"
    assert notice["X-AltiLogix-Ticket"] == "1001"


def test_a_public_note_is_a_person_s_mail_not_marked_automatic(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    emailed_ticket(sending, smtp_inbox)
    act(sending, public_note)
    [notice] = smtp_inbox.messages
    assert notice["Auto-Submitted"] is None
    assert notice["X-Auto-Response-Suppress"] is None


def test_a_notice_the_software_writes_stays_marked_automatic(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    emailed_ticket(sending, smtp_inbox)
    act(sending, resolve)
    act(sending, reopen)
    notice = smtp_inbox.messages[-1]
    assert plain(notice).startswith("Bonjour,\n\nVotre billet 1001 est rouvert")
    assert notice["Auto-Submitted"] == "auto-replied"
    assert notice["X-Auto-Response-Suppress"] == "All"


def note_message_id(context: Context, smtp: SmtpInbox) -> str:
    """Ticket 1001 opened by Marie's email, then Luc's public note to her; the note's
    Message-ID (without <>), the inbox emptied."""
    emailed_ticket(context, smtp)
    act(context, public_note)
    [notice] = smtp.messages
    smtp.messages.clear()
    return str(notice["Message-ID"]).strip("<>")


def test_the_client_s_out_of_office_answer_to_a_note_is_noted_on_the_ticket_never_answered(
    sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    note_id = note_message_id(sending, smtp_inbox)
    vacation = letter(
        subject="Réponse automatique : [#1001] Sage 50 ne démarre plus",
        body="Je suis absente jusqu’au 9 décembre.",
        Auto_Submitted="auto-replied",
        In_Reply_To=f"<{note_id}>",
        References=f"<{note_id}>",
    )
    with time_machine.travel(LATER, tick=False):
        taken = email_intake.receive(sending, vacation, source="pipe")
        run_due_tasks(sending)
    assert (taken.outcome, taken.ticket_number) == (email_intake.Outcome.AUTOMATIC, 1001)
    assert smtp_inbox.messages == []  # neither the client nor the staff are written to
    events = db.scalars(select(TicketEvent).where(TicketEvent.kind == TicketEventKind.EMAIL_IN))
    assert [e.data.get("automatic") for e in events] == [None, "auto_submitted"]


def test_an_autoresponder_that_does_not_say_so_adds_to_the_ticket_and_gets_no_answer(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    note_id = note_message_id(sending, smtp_inbox)
    for minute in range(3):  # it answers whatever comes, our answers included: none comes
        unmarked = letter(
            subject="RE: [#1001] Sage 50 ne démarre plus",
            body="Merci pour votre message. Je suis absente jusqu’au 9 décembre.",
            In_Reply_To=f"<{note_id}>",
        )
        with time_machine.travel(at(2026, 12, 1, 11, 5 + minute), tick=False):
            taken = email_intake.receive(sending, unmarked, source="pipe")
            run_due_tasks(sending)
        assert taken.outcome == email_intake.Outcome.REPLY
    assert [m["To"] for m in smtp_inbox.messages if m["To"] == MARIE_ADDRESS] == []


def test_a_public_note_is_the_technician_s_own_message_signed_with_their_name(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    emailed_ticket(sending, smtp_inbox)
    act(sending, public_note)
    [notice] = smtp_inbox.messages
    assert plain(notice) == (
        "Réinstallez la mise à jour 2026.1.\n"
        "Puis redémarrez.\n"
        "\n"
        "Luc Gagnon\n"
        "Support technique d’AltiLogix Inc.\n"
        "\n" + FOOTER_FR.replace("\n\nMerci\nL’équipe de support technique d’AltiLogix Inc.", "")
    )


def html(message: MimeMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert isinstance(part, MimeMessage)
    return str(part.get_content()).replace("\r\n", "\n")


def test_a_public_note_in_html_is_its_paragraphs_escaped_with_their_line_breaks(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    emailed_ticket(sending, smtp_inbox)
    words = (
        "Bonjour Marie,\r\n\r\n"
        "Le module <b>Paie</b> & T4 est réparé.\r\n"
        "<script>alert(1)</script>\r\n\r\n\r\n"
        "> Ceci n’est pas une citation."
    )
    act(sending, lambda _s, t, staff: tickets.add_note(t, staff, words, public=True))
    [notice] = smtp_inbox.messages
    body = html(notice)
    assert "<p>Bonjour Marie,</p>\n" in body
    assert (
        "<p>Le module &lt;b&gt;Paie&lt;/b&gt; &amp; T4 est réparé.<br>\n"
        "&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
        "<p>&gt; Ceci n’est pas une citation.</p>\n"
        "<p>Luc Gagnon<br>\nSupport technique d’AltiLogix Inc.</p>\n"
        "<p>Numéro de billet : 1001<br>\n"
    ) in body
    assert "<script>" not in body and "<b>" not in body
    assert plain(notice).startswith("Bonjour Marie,\n\nLe module <b>Paie</b> & T4 est réparé.\n")


def test_a_private_note_is_not_emailed(sending: Context, smtp_inbox: SmtpInbox) -> None:
    emailed_ticket(sending, smtp_inbox)
    act(sending, lambda _s, t, staff: tickets.add_note(t, staff, "Client pressé", public=False))
    assert smtp_inbox.messages == []


def resolve(_s: Session, ticket: Ticket, staff: int) -> None:
    tickets.resolve(ticket, staff, reopen_within=REOPEN)


def close(_s: Session, ticket: Ticket, staff: int) -> None:
    tickets.close(ticket, staff, reopen_within=REOPEN)


def reopen(_s: Session, ticket: Ticket, staff: int) -> None:
    tickets.reopen(ticket, staff, why="revient")


def test_the_resolution_is_one_email_that_says_so_and_invites_to_the_survey(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    emailed_ticket(sending, smtp_inbox)
    act(sending, resolve)
    assert [m["Subject"] for m in smtp_inbox.messages] == [TICKET_SUBJECT]
    assert plain(smtp_inbox.messages[0]).startswith(
        "Bonjour,\n\nVotre billet 1001 est résolu, et donc « fermé »."
    )


def test_closing_a_resolved_ticket_sends_nothing_more(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    emailed_ticket(sending, smtp_inbox)
    act(sending, resolve)
    smtp_inbox.messages.clear()
    act(sending, close)
    assert smtp_inbox.messages == []


def test_closing_an_open_ticket_tells_the_client_it_is_resolved(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    emailed_ticket(sending, smtp_inbox)
    act(sending, close)
    [invitation] = smtp_inbox.messages
    assert plain(invitation).startswith("Bonjour,\n\nVotre billet 1001 est résolu")


def test_a_ticket_resolved_again_is_a_notice(sending: Context, smtp_inbox: SmtpInbox) -> None:
    emailed_ticket(sending, smtp_inbox)
    act(sending, resolve)
    act(sending, reopen)
    act(sending, resolve)
    notices = [m for m in smtp_inbox.messages if plain(m).endswith(FOOTER_FR)]
    assert [plain(m).splitlines()[2] for m in notices] == [
        "Votre billet 1001 est rouvert : nous poursuivons notre intervention.",
        "Votre billet 1001 est résolu.",
    ]


def test_a_ticket_resolved_again_quotes_how_it_was_solved_this_time(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    emailed_ticket(sending, smtp_inbox)
    act(sending, resolve)
    act(sending, reopen)

    def solved(_s: Session, ticket: Ticket, staff: int) -> None:
        tickets.resolve(
            ticket, staff, reopen_within=REOPEN, summary="Pilote d'imprimante mis à jour."
        )

    act(sending, solved)
    [notice] = [plain(m) for m in smtp_inbox.messages if "est résolu." in plain(m)]
    assert (
        "Votre billet 1001 est résolu.\n\n"
        "La solution, en quelques mots :\nPilote d'imprimante mis à jour.\n" in notice
    )


def test_a_ticket_reopened_by_a_technician_is_a_notice(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    emailed_ticket(sending, smtp_inbox)
    act(sending, resolve)
    act(sending, reopen)
    assert plain(smtp_inbox.messages[-1]) == (
        "Bonjour,\n\n"
        "Votre billet 1001 est rouvert : nous poursuivons notre intervention.\n\n" + FOOTER_FR
    )


def test_a_callback_that_reached_the_client_is_a_notice(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    place_call(phone_app, TUESDAY_10H, press="6")
    with time_machine.travel(at(2026, 12, 1, 10, 2), tick=False):
        run_due_tasks(sending)
    [confirmation] = [m for m in smtp_inbox.messages if m["To"] == MARIE_ADDRESS]
    smtp_inbox.messages.clear()

    def reached(session: Session, ticket: Ticket, staff_id: int) -> None:
        staff = session.get(StaffMember, staff_id)
        assert staff is not None
        request = callbacks.request_callback(session, ticket, staff)
        callbacks.client_answered(session, request, None, LATER)
        callbacks.client_answered(session, request, None, LATER)  # Twilio's retry

    act(sending, reached)
    [notice] = smtp_inbox.messages
    assert notice["In-Reply-To"] == confirmation["Message-ID"]
    assert plain(notice) == (
        "Bonjour,\n\n"
        "Un technicien d’AltiLogix vous a joint par téléphone au sujet de votre billet 1001.\n\n"
        + FOOTER_FR
    )
    assert db.scalars(select(CallbackRequest)).one().state == "reached"


def test_the_confirmation_of_a_call_is_in_the_language_chosen_on_that_call(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox
) -> None:
    """Marie (French in the directory) pressed 9 for English on this call: its ticket's email
    follows her choice; her contact row does not change."""
    place_call(phone_app, TUESDAY_10H, press="9,6")
    with time_machine.travel(at(2026, 12, 1, 10, 2), tick=False):
        run_due_tasks(sending)
    [confirmation] = [m for m in smtp_inbox.messages if m["To"] == MARIE_ADDRESS]
    assert confirmation["Subject"] == "[#1001] Your call to AltiLogix support"
    assert confirmation["Content-Language"] == "en"


@pytest.mark.parametrize(
    ("outcome", "said"),
    [
        (callbacks.Attempt.NO_ANSWER, "au sujet de votre billet 1001, sans réponse."),
        (callbacks.Attempt.VOICEMAIL, "au sujet de votre billet 1001 et vous a laissé un message"),
    ],
)
def test_a_call_that_did_not_reach_the_client_is_a_notice_that_says_we_tried(
    sending: Context, smtp_inbox: SmtpInbox, outcome: callbacks.Attempt, said: str
) -> None:
    emailed_ticket(sending, smtp_inbox)

    def tried(_s: Session, ticket: Ticket, staff_id: int) -> None:
        callbacks.attempt_from_own_phone(ticket, staff_id, outcome)

    act(sending, tried)
    [notice] = smtp_inbox.messages
    assert "Un technicien d’AltiLogix a tenté de vous joindre par téléphone " + said in plain(
        notice
    )


def test_an_english_contact_reads_the_notice_in_english(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    emailed_ticket(sending, smtp_inbox, sender=EMILY)
    act(sending, public_note)
    [notice] = smtp_inbox.messages
    assert notice["Subject"] == "[#1001] Sage 50 ne démarre plus"  # Emily's words, as written
    assert plain(notice) == (
        "Réinstallez la mise à jour 2026.1.\n"
        "Puis redémarrez.\n"
        "\n"
        "Luc Gagnon\n"
        "AltiLogix Inc. technical support\n"
        "\n"
        "Ticket number: 1001\n"
        "To write to us about this ticket, simply reply to this email.\n"
    )
    act(sending, resolve)
    assert plain(smtp_inbox.messages[-1]).startswith(
        "Hello,\n\nYour ticket 1001 has been resolved and is now closed."
    )
    act(sending, reopen)
    assert plain(smtp_inbox.messages[-1]) == (
        "Hello,\n\n"
        "Your ticket 1001 has been reopened, and we are continuing to work on it.\n\n"
        "Ticket number: 1001\n"
        "To write to us about this ticket, simply reply to this email.\n"
        "\n"
        "Thank you\n"
        "The AltiLogix Inc. technical support team\n"
    )


def test_a_notice_job_run_twice_sends_once(
    sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    emailed_ticket(sending, smtp_inbox)
    act(sending, public_note)
    db.expire_all()
    task = db.scalars(select(OutboxTask).where(OutboxTask.task == "ticket.notify_contact")).one()
    from sending import clients

    clients.send_notice(sending, **task.args)
    assert len(smtp_inbox.messages) == 1


def test_notices_that_follow_staff_acts_are_never_held_however_many(
    sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    emailed_ticket(sending, smtp_inbox)
    for _ in range(6):  # six public notes within the hour, then the resolution
        act(sending, public_note)
    act(sending, resolve)
    assert len(smtp_inbox.messages) == 7
    db.expire_all()
    states = db.scalars(select(Notification.state).where(Notification.staff_member_id.is_(None)))
    assert set(states) == {DeliveryState.SENT}


def worked(**fields: Any) -> Act:
    """Luc logs work on the ticket from 10:20 to 10:40 (or as ``fields`` say)."""

    def post(session: Session, ticket: Ticket, staff_id: int) -> None:
        base = {"kind": "phone", "minutes": None, "started_at": WORK_START, "ended_at": WORK_END}
        entry = form(ticket, staff_id, **(base | fields))
        time_entries.post(session, entry, staff_id, low_minutes=LOW)

    return post


def bought(hours: int) -> Act:
    """The ticket's client buys ``hours`` hours for its bank."""

    def buy(session: Session, ticket: Ticket, staff_id: int) -> None:
        assert ticket.client_id is not None
        purchase = banks.Purchase(ticket.client_id, hours, "F-2026-0144", date(2026, 12, 1))
        banks.record_purchase(session, purchase, staff_id, low_minutes=LOW, zone=MONTREAL)

    return buy


def work_notices(smtp: SmtpInbox) -> list[str]:
    return [plain(m) for m in smtp.messages if "Voici le détail" in plain(m)]


def test_a_time_entry_notice_says_when_how_by_whom_and_what_the_bank_paid(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    emailed_ticket(sending, smtp_inbox)
    act(sending, bought(10))
    act(sending, worked(note="Cliente pressée, vérifier la licence"))
    assert work_notices(smtp_inbox) == [
        "Bonjour,\n\n"
        "Voici le détail d’une intervention sur votre billet 1001 :\n\n"
        "Date : mardi 1er décembre 2026, de 10 h 20 à 10 h 40 (heure de Montréal)\n"
        "Intervention : support régulier par téléphone\n"
        "Réalisée par : Luc Gagnon, d’AltiLogix\n"
        "Temps travaillé : 20 min\n"
        "Temps facturé : 30 min\n"
        "Imputé à votre banque d’heures : 30 min\n"
        "Solde de votre banque d’heures après cette intervention : 9 h 30\n\n" + FOOTER_FR
    ]


def test_a_time_entry_s_internal_note_is_never_told_to_the_client(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    emailed_ticket(sending, smtp_inbox)
    act(sending, worked(note="Cliente pressée, vérifier la licence"))
    [notice] = work_notices(smtp_inbox)
    assert "Cliente pressée" not in notice and "licence" not in notice


def test_work_beyond_what_the_bank_holds_is_billed_outside_it_and_the_notice_says_why(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    emailed_ticket(sending, smtp_inbox)
    act(sending, bought(1))
    on_site = worked(
        kind="onsite", started_at=at(2026, 12, 1, 9, 25), ended_at=at(2026, 12, 1, 10, 55)
    )
    act(sending, on_site)  # 90 min, posted at 11:00
    [notice] = work_notices(smtp_inbox)
    assert (
        "Intervention : support régulier sur place\n"
        "Réalisée par : Luc Gagnon, d’AltiLogix\n"
        "Temps travaillé : 1 h 30\n"
        "Temps facturé : 1 h 30\n"
        "Imputé à votre banque d’heures : 1 h\n"
        "Facturé hors banque d’heures : 30 min (votre banque d’heures est épuisée)\n"
        "Solde de votre banque d’heures après cette intervention : 0 min\n"
    ) in notice


def test_training_is_billed_outside_the_bank_and_the_notice_says_a_bank_cannot_pay_it(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    emailed_ticket(sending, smtp_inbox)
    act(sending, bought(10))
    act(sending, worked(category="training", ended_at=at(2026, 12, 1, 11, 5)))  # 45 min
    [notice] = work_notices(smtp_inbox)
    assert (
        "Intervention : formation par téléphone\n"
        "Réalisée par : Luc Gagnon, d’AltiLogix\n"
        "Temps travaillé : 45 min\n"
        "Temps facturé : 1 h\n"
        "Facturé hors banque d’heures : 1 h (une banque d’heures ne peut servir ni à de la "
        "formation, ni à une DDM)\n"
        "Solde de votre banque d’heures après cette intervention : 10 h\n"
    ) in notice


def test_a_client_without_a_bank_reads_the_time_billed_and_the_travel_billed_on_top(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    emailed_ticket(sending, smtp_inbox, sender=SYLVIE)  # Quincaillerie Laval: no bank, 31 km
    act(sending, worked(kind="onsite", travel_minutes=40, expenses_cents=1250))
    [notice] = work_notices(smtp_inbox)
    assert notice.startswith(
        "Bonjour,\n\n"
        "Voici le détail d’une intervention sur votre billet 1001 :\n\n"
        "Date : mardi 1er décembre 2026, de 10 h 20 à 10 h 40 (heure de Montréal)\n"
        "Intervention : support régulier sur place\n"
        "Réalisée par : Luc Gagnon, d’AltiLogix\n"
        "Temps travaillé : 20 min\n"
        "Temps facturé : 1 h\n"
        "Temps de déplacement facturé en sus : 40 min\n"
        "Frais de déplacement facturés en sus : 12,50\u00a0$\n\n"  # a space that never breaks
    )
    assert "banque" not in notice


def test_an_english_contact_reads_the_work_done_in_english(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    emailed_ticket(sending, smtp_inbox, sender=EMILY)  # Westmount Dental: a bank, empty
    act(sending, worked(urgency="urgent", urgency_reason="Payroll due today"))
    [notice] = [plain(m) for m in smtp_inbox.messages if "Here are the details" in plain(m)]
    assert notice == (
        "Hello,\n\n"
        "Here are the details of work done on your ticket 1001:\n\n"
        "When: Tuesday, December 1, 2026, from 10:20 AM to 10:40 AM (Montreal time)\n"
        "Work: urgent support by phone\n"
        "Done by: Luc Gagnon, AltiLogix\n"
        "Time worked: 20 min\n"
        "Time billed: 1 h\n"
        "Billed outside your hour bank: 1 h (your hour bank is used up)\n"
        "Your hour bank's balance after this work: 0 min\n\n"
        "Ticket number: 1001\n"
        "To write to us about this ticket, simply reply to this email.\n\n"
        "Thank you\n"
        "The AltiLogix Inc. technical support team\n"
    )


def test_work_that_crosses_midnight_gives_both_days(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    emailed_ticket(sending, smtp_inbox)
    start, end = at(2026, 11, 30, 23, 30), at(2026, 12, 1, 0, 15)
    act(sending, worked(started_at=start, ended_at=end))
    [notice] = work_notices(smtp_inbox)
    assert (
        "Date : du lundi 30 novembre 2026 à 23 h 30 au mardi 1er décembre 2026 à 0 h 15 "
        "(heure de Montréal)\n"
    ) in notice


def test_each_time_entry_is_one_notice_however_often_it_is_announced(
    sending: Context, smtp_inbox: SmtpInbox, db: Session
) -> None:
    emailed_ticket(sending, smtp_inbox)
    act(sending, worked())
    entry_id = db.scalars(select(TimeEntry.id)).one()

    def announced_again(_s: Session, ticket: Ticket, _staff: int) -> None:
        assert announce_time_entry(ticket, entry_id) is False

    act(sending, announced_again)
    assert len(work_notices(smtp_inbox)) == 1


def corrected(minutes: int) -> Act:
    """A supervisor corrects the ticket's one time entry to ``minutes`` minutes."""

    def correct(session: Session, ticket: Ticket, staff_id: int) -> None:
        entry_id = session.scalars(select(TimeEntry.id)).one()
        fixed = form(ticket, staff_id, kind="phone", minutes=minutes)
        time_entries.correct(
            session, entry_id, fixed, staff_id, "typed 20, was 50", low_minutes=LOW
        )

    return correct


def test_a_corrected_entry_sends_its_corrected_details(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    emailed_ticket(sending, smtp_inbox)
    act(sending, worked())
    act(sending, corrected(50))
    first, second = work_notices(smtp_inbox)
    assert "Temps travaillé : 20 min" in first
    assert "Voici le détail corrigé d’une intervention sur votre billet 1001" in second
    assert "Temps travaillé : 50 min" in second


def test_an_entry_corrected_before_its_notice_left_is_told_once_as_corrected(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    emailed_ticket(sending, smtp_inbox)

    def worked_then_corrected(session: Session, ticket: Ticket, staff_id: int) -> None:
        worked()(session, ticket, staff_id)
        session.flush()
        corrected(50)(session, ticket, staff_id)

    act(sending, worked_then_corrected)
    [notice] = work_notices(smtp_inbox)
    assert "Temps travaillé : 50 min" in notice


def test_every_email_about_a_ticket_carries_the_client_s_subject_under_its_first_message(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    with time_machine.travel(TUESDAY_10H, tick=False):
        raw = letter(subject="Erreur de paie — T4")
        first = email_intake.receive(sending, raw, source="pipe").message_id
        run_due_tasks(sending)
    act(sending, public_note)
    act(sending, lambda _s, t, staff: callbacks.attempt_from_own_phone(t, staff, NO_ANSWER))
    act(sending, resolve)
    to_marie = [m for m in smtp_inbox.messages if m["To"] == MARIE_ADDRESS]
    assert len(to_marie) == 4  # the acknowledgement, the note, the call, the survey
    assert {m["Subject"] for m in to_marie} == {"[#1001] Erreur de paie — T4"}
    assert {m["In-Reply-To"] for m in to_marie} == {f"<{first}>"}
    assert {m["References"] for m in to_marie} == {f"<{first}>"}


def test_the_client_answering_with_the_subject_alone_lands_on_the_ticket(
    sending: Context, smtp_inbox: SmtpInbox
) -> None:
    emailed_ticket(sending, smtp_inbox)
    act(sending, public_note)
    [notice] = smtp_inbox.messages
    # A new email, not a reply: only the subject, "RE:" and all, names the ticket.
    answer = letter(subject=f"RE: {notice['Subject']}", body="C’est réglé, merci !")
    with time_machine.travel(at(2026, 12, 1, 12), tick=False):
        taken = email_intake.receive(sending, answer, source="pipe")
    assert (taken.outcome, taken.ticket_number) == (email_intake.Outcome.REPLY, 1001)


def test_a_phone_ticket_s_emails_carry_one_subject_that_names_the_call(
    phone_app: Flask, sending: Context, smtp_inbox: SmtpInbox
) -> None:
    place_call(phone_app, TUESDAY_10H, press="6")
    with time_machine.travel(at(2026, 12, 1, 10, 2), tick=False):
        run_due_tasks(sending)
    act(sending, lambda _s, t, staff: callbacks.attempt_from_own_phone(t, staff, NO_ANSWER))
    act(sending, public_note)
    to_marie = [m for m in smtp_inbox.messages if m["To"] == MARIE_ADDRESS]
    assert [m["Subject"] for m in to_marie] == ["[#1001] Votre appel au support d’AltiLogix"] * 3
