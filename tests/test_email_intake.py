"""Incoming email, through the MTA pipe and the HTTP hook: stored once, and made into a ticket,
a reply, a message to verify, automatic mail left unanswered, or bytes in quarantine."""

from __future__ import annotations

import email
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import create_app
from helpdesk import tickets
from mail import intake as email_intake
from mail.intake import Outcome
from mail.reading import InboundMessage, read_message
from models import (
    Channel,
    EmailMessage,
    Line,
    MailDirection,
    Quarantine,
    StaffMember,
    Ticket,
    TicketEventKind,
    TicketStatus,
)
from models.tickets import NO_SUBJECT
from tests.conftest import app_config
from tests.mailing import (
    EMILY,
    MARIE,
    NADIA,
    REGULAR,
    REOPEN,
    STRANGER,
    URGENT,
    corpus,
    letter,
    pending_tasks,
    prepare,
    read_stored_mail,
    stored,
)
from tests.phone import at, helpdesk

SECRET = "inbound-test-secret"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def mail_app(phone_app: Flask, db: Session, engine_url: str) -> Flask:
    """The app with the demo directory, the corpus's senders and the hook's secret."""
    prepare(db)
    return create_app(app_config(engine_url, INBOUND_EMAIL_SECRET=SECRET))


def through_pipe(app: Flask, raw: bytes) -> str:
    result = app.test_cli_runner().invoke(args=["email", "ingest"], input=raw)
    assert result.exit_code == 0, result.output
    return result.output


def through_http(app: Flask, raw: bytes) -> str:
    """Posted to the hook, which stores it and answers at once; then read by its job."""
    response = app.test_client().post(
        "/email/inbound",
        data=raw,
        headers={"Authorization": f"Bearer {SECRET}", "Content-Type": "message/rfc822"},
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.get_json()["outcome"] == "stored"
    (outcome,) = read_stored_mail(helpdesk(app))
    return outcome


DOORS: dict[str, Callable[[Flask, bytes], str]] = {"pipe": through_pipe, "http": through_http}

# Each message of the corpus, what it becomes, and the tasks it sets going.
CORPUS: dict[str, tuple[Outcome, str | None, list[str]]] = {
    "outlook_alternative_qp.eml": (
        Outcome.NEW_TICKET,
        None,
        ["email.acknowledge", "ticket.follow_up"],
    ),
    "gmail_attachment_base64.eml": (
        Outcome.NEW_TICKET,
        None,
        ["email.acknowledge", "ticket.follow_up"],
    ),
    # Quotes "[# 1042]" and a Message-ID of ours that this database never made: a new request.
    "apple_mail_reply.eml": (Outcome.NEW_TICKET, None, ["email.acknowledge", "ticket.follow_up"]),
    "encoded_subject_and_name.eml": (
        Outcome.TO_VERIFY,
        None,
        ["email.answer_unauthorized", "ticket.verify"],
    ),
    "html_only.eml": (Outcome.TO_VERIFY, None, ["email.answer_unauthorized", "ticket.verify"]),
    "lying_charset.eml": (Outcome.TO_VERIFY, None, ["email.answer_unauthorized", "ticket.verify"]),
    "gmail_vacation.eml": (Outcome.AUTOMATIC, "auto_submitted", []),
    "outlook_out_of_office.eml": (Outcome.AUTOMATIC, "auto_submitted", []),
    "zimbra_out_of_office.eml": (Outcome.AUTOMATIC, "auto_submitted", []),
    "postfix_bounce.eml": (Outcome.AUTOMATIC, "delivery_report", []),
    "mailing_list.eml": (Outcome.AUTOMATIC, "list", []),
}


def _message_id(raw: bytes) -> str:
    message = read_message(raw)
    assert isinstance(message, InboundMessage)
    return message.message_id


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("name", CORPUS)
def test_each_corpus_message_becomes_what_it_is(
    mail_app: Flask, db: Session, door: str, name: str
) -> None:
    outcome, reason, tasks = CORPUS[name]
    DOORS[door](mail_app, corpus(name))
    row = stored(db, _message_id(corpus(name)))
    assert (row.outcome, row.automatic, row.source) == (outcome.value, reason, door)
    assert row.raw == corpus(name)
    assert pending_tasks(db) == tasks


@pytest.mark.parametrize("door", DOORS)
def test_bytes_that_are_not_mail_are_quarantined_whole(
    mail_app: Flask, db: Session, door: str
) -> None:
    DOORS[door](mail_app, corpus("not_mail.png"))
    kept = db.scalars(select(Quarantine)).one()
    assert (kept.reason, kept.raw, kept.source) == ("not_a_message", corpus("not_mail.png"), door)
    assert db.scalar(select(func.count(EmailMessage.id))) == 0


def test_the_pipe_says_what_the_message_became(mail_app: Flask) -> None:
    assert through_pipe(mail_app, corpus("outlook_alternative_qp.eml")) == (
        "stored: new_ticket ticket 1001\n"
    )


def test_an_authorized_contact_s_email_opens_a_ticket_with_the_line_s_promise(
    mail_app: Flask, db: Session
) -> None:
    through_http(mail_app, letter(sender=MARIE, to=URGENT, subject="Paie bloquée"))
    ticket = db.scalars(select(Ticket)).one()
    assert (ticket.number, ticket.priority, ticket.channel) == (1001, Line.URGENT, Channel.EMAIL)
    assert (ticket.subject, ticket.to_verify, ticket.requester) == (
        "Paie bloquée",
        False,
        "marie.tremblay@boulangerie.example",
    )
    assert ticket.description.startswith("Bonjour,\n\nSage 50 refuse de démarrer")
    assert ticket.sla_due_at is not None


def test_the_sender_is_matched_to_the_contact_whatever_the_case(
    mail_app: Flask, db: Session
) -> None:
    through_http(mail_app, letter(sender="MARIE.TREMBLAY@boulangerie.EXAMPLE"))
    ticket = db.scalars(select(Ticket)).one()
    assert ticket.contact_id is not None and not ticket.to_verify


@pytest.mark.parametrize("header", ["To", "Cc", "Delivered-To"])
def test_the_urgent_address_in_to_cc_or_delivered_to_makes_it_urgent(
    mail_app: Flask, db: Session, header: str
) -> None:
    extra = {header.replace("-", "_"): URGENT} if header != "To" else {}
    to = URGENT if header == "To" else "someone@altilogix.example"
    through_http(mail_app, letter(to=to, **extra))
    assert db.scalars(select(Ticket.priority)).one() == Line.URGENT


def test_mail_to_the_regular_address_is_regular(mail_app: Flask, db: Session) -> None:
    through_http(mail_app, letter(to=REGULAR))
    assert db.scalars(select(Ticket.priority)).one() == Line.REGULAR


def test_a_message_delivered_twice_is_stored_once_and_opens_one_ticket(
    mail_app: Flask, db: Session
) -> None:
    raw = letter()
    assert through_http(mail_app, raw) == "new_ticket"
    assert through_pipe(mail_app, raw) == "stored: duplicate\n"
    assert db.scalar(select(func.count(EmailMessage.id))) == 1
    assert db.scalar(select(func.count(Ticket.id))) == 1
    assert pending_tasks(db) == ["email.acknowledge", "ticket.follow_up"]


def test_a_message_without_message_id_is_recognized_when_delivered_again(
    mail_app: Flask, db: Session
) -> None:
    raw = letter().replace(b"Message-ID:", b"X-Old-Message-ID:")
    through_http(mail_app, raw)
    assert through_http(mail_app, raw) == "duplicate"
    assert db.scalar(select(func.count(Ticket.id))) == 1


def _ticket(mail_app: Flask, db: Session, raw: bytes) -> Ticket:
    through_http(mail_app, raw)
    db.expire_all()
    ticket = db.scalars(select(Ticket).order_by(Ticket.id.desc())).first()
    assert ticket is not None
    return ticket


def _our_message_id(db: Session, ticket: Ticket) -> str:
    """A Message-ID we made for the ticket, as the acknowledgement job stores it."""
    db.add(
        EmailMessage(
            message_id=f"1001.ack@{REGULAR.split('@')[1]}",
            direction=MailDirection.OUT,
            ticket_id=ticket.id,
        )
    )
    db.commit()
    return f"1001.ack@{REGULAR.split('@')[1]}"


def test_a_reply_naming_our_message_lands_on_its_ticket(mail_app: Flask, db: Session) -> None:
    ticket = _ticket(mail_app, db, letter())
    ours = _our_message_id(db, ticket)
    reply = letter(subject="Re: votre accusé", In_Reply_To=f"<{ours}>", References=f"<{ours}>")
    assert through_http(mail_app, reply) == "reply"
    assert db.scalar(select(func.count(Ticket.id))) == 1
    assert stored(db, _message_id(reply)).ticket_id == ticket.id
    assert pending_tasks(db).count("email.acknowledge") == 1
    assert "ticket.notify" in pending_tasks(db)


def test_a_reply_to_the_client_s_own_first_message_lands_on_its_ticket(
    mail_app: Flask, db: Session
) -> None:
    first = letter()
    ticket = _ticket(mail_app, db, first)
    again = letter(subject="J'oubliais", In_Reply_To=f"<{_message_id(first)}>")
    assert through_http(mail_app, again) == "reply"
    assert stored(db, _message_id(again)).ticket_id == ticket.id


def test_a_subject_token_from_an_authorized_contact_of_the_client_threads(
    mail_app: Flask, db: Session
) -> None:
    ticket = _ticket(mail_app, db, letter())
    jacques = "Jacques Bouchard <jacques@boulangerie.example>"  # same client, authorized
    assert through_http(mail_app, letter(sender=jacques, subject="Re: [#1001] Sage")) == "reply"
    assert db.scalar(select(func.count(Ticket.id))) == 1
    db.expire_all()
    kinds = [event.kind for event in db.get(Ticket, ticket.id).events]  # type: ignore[union-attr]
    assert kinds.count(TicketEventKind.EMAIL_IN) == 2


def test_a_subject_token_from_another_client_s_contact_opens_their_own_ticket(
    mail_app: Flask, db: Session
) -> None:
    _ticket(mail_app, db, letter())
    assert through_http(mail_app, letter(sender=EMILY, subject="[#1001] Dental")) == "new_ticket"
    assert db.scalar(select(func.count(Ticket.id))) == 2


def test_a_subject_token_from_somebody_not_authorized_does_not_thread(
    mail_app: Flask, db: Session
) -> None:
    _ticket(mail_app, db, letter())
    assert through_http(mail_app, letter(sender=NADIA, subject="[#1001] moi aussi")) == (
        "to_verify"
    )


def test_a_reply_reopens_a_resolved_ticket(mail_app: Flask, db: Session) -> None:
    ticket = _ticket(mail_app, db, letter())
    technician = db.scalars(select(StaffMember)).first()
    assert technician is not None
    tickets.resolve(ticket, technician.id, reopen_within=REOPEN)
    db.commit()
    through_http(mail_app, letter(subject="Re: [#1001] ça recommence"))
    db.expire_all()
    reopened = db.get(Ticket, ticket.id)
    assert reopened is not None and reopened.status == TicketStatus.OPEN
    kinds = [event.kind for event in reopened.events]
    assert kinds[-2:] == [TicketEventKind.EMAIL_IN, TicketEventKind.REOPENED]


def _answered_once_closed(mail_app: Flask, db: Session, first: bytes, subject: str) -> Ticket:
    """Ticket 1001 opened by ``first``, closed, then answered (In-Reply-To) under ``subject``."""
    ticket = _ticket(mail_app, db, first)
    technician = db.scalars(select(StaffMember)).first()
    assert technician is not None
    tickets.close(ticket, technician.id, reopen_within=REOPEN)
    db.commit()
    message_id = email.message_from_bytes(first)["Message-ID"]
    through_http(mail_app, letter(subject=subject, In_Reply_To=message_id))
    db.expire_all()
    return ticket


def test_the_client_answering_a_closed_ticket_opens_a_new_ticket_that_follows_it(
    mail_app: Flask, db: Session
) -> None:
    ticket = _answered_once_closed(mail_app, db, letter(), "Re: ça recommence")
    kept = db.get(Ticket, ticket.id)
    assert kept is not None and kept.status == TicketStatus.CLOSED
    assert kept.events[-1].kind == TicketEventKind.FOLLOWED_BY
    follow = db.scalars(select(Ticket).where(Ticket.number == 1002)).one()
    assert (follow.status, follow.priority) == (TicketStatus.OPEN, kept.priority)
    assert TicketEventKind.FOLLOWS in [event.kind for event in follow.events]


def test_a_new_ticket_following_a_closed_one_takes_the_line_it_was_written_to(
    mail_app: Flask, db: Session
) -> None:
    ticket = _answered_once_closed(mail_app, db, letter(to=URGENT), "Re: une autre question")
    assert ticket.priority == Line.URGENT
    follow = db.scalars(select(Ticket).where(Ticket.number == 1002)).one()
    assert follow.priority == Line.REGULAR  # written to the regular address


def _resolved_on_december_1(app: Flask, db: Session) -> Ticket:
    """Ticket 1001, opened by email on December 1 at 10:00 and resolved at once."""
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        ticket = _ticket(app, db, letter())
        technician = db.scalars(select(StaffMember)).first()
        assert technician is not None
        tickets.resolve(ticket, technician.id, reopen_within=REOPEN)
        db.commit()
    return ticket


def test_an_answer_after_the_reopening_window_opens_a_new_ticket(
    mail_app: Flask, db: Session
) -> None:
    ticket = _resolved_on_december_1(mail_app, db)
    with time_machine.travel(at(2026, 12, 16, 10), tick=False):  # 15 days later
        through_http(mail_app, letter(subject="Re: [#1001] ça recommence"))
    db.expire_all()
    assert db.get(Ticket, ticket.id).status == TicketStatus.RESOLVED  # type: ignore[union-attr]
    assert db.scalars(select(Ticket.number).order_by(Ticket.number)).all() == [1001, 1002]


def test_an_answer_within_the_reopening_window_reopens_the_ticket(
    mail_app: Flask, db: Session
) -> None:
    ticket = _resolved_on_december_1(mail_app, db)
    with time_machine.travel(at(2026, 12, 14, 10), tick=False):  # 13 days later
        through_http(mail_app, letter(subject="Re: [#1001] ça recommence"))
    db.expire_all()
    assert db.get(Ticket, ticket.id).status == TicketStatus.OPEN  # type: ignore[union-attr]
    assert db.scalars(select(Ticket.number)).all() == [1001]


def test_a_third_party_answering_a_resolved_ticket_is_a_message_to_verify_not_a_reopening(
    mail_app: Flask, db: Session
) -> None:
    first = letter()
    ticket = _ticket(mail_app, db, first)
    technician = db.scalars(select(StaffMember)).first()
    assert technician is not None
    tickets.resolve(ticket, technician.id, reopen_within=REOPEN)
    db.commit()
    message_id = email.message_from_bytes(first)["Message-ID"]
    reply = letter(sender=STRANGER, subject="Re: Sage 50", In_Reply_To=message_id)
    assert through_http(mail_app, reply) == "to_verify"
    db.expire_all()
    assert db.get(Ticket, ticket.id).status == TicketStatus.RESOLVED  # type: ignore[union-attr]
    assert stored(db, _message_id(reply)).ticket_id != ticket.id


def test_a_stranger_s_email_is_kept_to_verify_and_answered_politely(
    mail_app: Flask, db: Session
) -> None:
    assert through_http(mail_app, letter(sender=STRANGER, to=URGENT)) == "to_verify"
    ticket = db.scalars(select(Ticket)).one()
    assert (ticket.to_verify, ticket.sla_due_at, ticket.client_id) == (True, None, None)
    assert pending_tasks(db) == ["email.answer_unauthorized", "ticket.verify"]


def test_a_contact_who_is_not_authorized_is_kept_to_verify_with_their_client(
    mail_app: Flask, db: Session
) -> None:
    through_http(mail_app, letter(sender=NADIA))
    ticket = db.scalars(select(Ticket)).one()
    assert ticket.to_verify and ticket.client_id is not None and ticket.contact_id is not None


def test_automatic_mail_on_a_ticket_is_noted_and_never_answered(
    mail_app: Flask, db: Session
) -> None:
    ticket = _ticket(mail_app, db, letter())
    ours = _our_message_id(db, ticket)
    vacation = letter(subject="Absente", In_Reply_To=f"<{ours}>", Auto_Submitted="auto-replied")
    assert through_http(mail_app, vacation) == "automatic"
    row = stored(db, _message_id(vacation))
    assert (row.ticket_id, row.automatic) == (ticket.id, "auto_submitted")
    assert pending_tasks(db) == ["email.acknowledge", "ticket.follow_up"]  # the first mail's


def test_mail_from_our_own_address_is_never_answered(mail_app: Flask, db: Session) -> None:
    raw = letter(sender=f"Support <{REGULAR}>")
    assert through_http(mail_app, raw) == "automatic"
    assert stored(db, _message_id(raw)).automatic == "own_address"
    assert db.scalar(select(func.count(Ticket.id))) == 0


def test_our_own_message_id_coming_back_is_never_answered(mail_app: Flask, db: Session) -> None:
    raw = letter(sender=STRANGER).replace(b"@client.example>", b"@altilogix.example>", 1)
    assert through_http(mail_app, raw) == "automatic"
    assert db.scalar(select(func.count(Ticket.id))) == 0


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not_a_message"),
        (b"Subject: no sender\r\n\r\nhello\r\n", "no_sender"),
    ],
)
def test_unreadable_bytes_are_quarantined_once_with_their_reason(
    mail_app: Flask, db: Session, raw: bytes, reason: str
) -> None:
    assert through_http(mail_app, raw) == "quarantined"
    assert through_http(mail_app, raw) == "quarantined"
    assert db.scalars(select(Quarantine.reason)).all() == [reason]


def test_a_huge_body_is_stored_with_its_text_cut_at_the_stated_size(
    mail_app: Flask, db: Session
) -> None:
    raw = letter(body="ligne de journal Sage\n" * 20_000)  # 440,000 characters
    through_http(mail_app, raw)
    row = stored(db, _message_id(raw))
    assert row.raw == raw
    assert len(row.text) <= 100_000 + 2  # mail.reading.MAX_BODY_CHARS, and its ellipsis


def test_an_html_only_message_with_an_empty_subject_opens_a_ticket(
    mail_app: Flask, db: Session
) -> None:
    raw = letter(subject="").replace(b"Content-Type: text/plain", b"Content-Type: text/html", 1)
    through_http(mail_app, raw)
    assert db.scalars(select(Ticket.subject)).one() == NO_SUBJECT


def test_the_hook_refuses_a_request_without_the_secret(mail_app: Flask, db: Session) -> None:
    client = mail_app.test_client()
    assert client.post("/email/inbound", data=letter()).status_code == 401
    wrong = {"Authorization": "Bearer not-the-secret"}
    assert client.post("/email/inbound", data=letter(), headers=wrong).status_code == 401
    assert db.scalar(select(func.count(EmailMessage.id))) == 0


def test_the_hook_is_closed_when_no_secret_is_set(phone_app: Flask) -> None:
    response = phone_app.test_client().post(
        "/email/inbound", data=letter(), headers={"Authorization": "Bearer "}
    )
    assert response.status_code == 401


def test_the_hook_takes_mail_far_bigger_than_a_webhook(mail_app: Flask, db: Session) -> None:
    raw = letter(body="pièce jointe\n" * 40_000)  # ~520 kB, twice MAX_CONTENT_LENGTH
    assert through_http(mail_app, raw) == "new_ticket"


def test_the_hook_answers_503_when_the_database_is_away() -> None:
    app = create_app(
        app_config("postgresql+psycopg://nobody@127.0.0.1:1/none", INBOUND_EMAIL_SECRET=SECRET)
    )
    response = app.test_client().post(
        "/email/inbound", data=letter(), headers={"Authorization": f"Bearer {SECRET}"}
    )
    assert response.status_code == 503


def test_ingest_exits_75_without_a_traceback_when_the_database_is_unreachable(
    tmp_path: Path,
) -> None:
    environ = {
        **os.environ,
        "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "DEBUG": "true",
    }
    result = subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--app", "app", "email", "ingest"],
        input=letter(),
        capture_output=True,
        cwd=ROOT,
        env=environ,
        timeout=60,
        check=False,
    )
    assert result.returncode == 75
    assert b"Traceback" not in result.stderr
    assert b"email not stored, try again later: OperationalError" in result.stderr


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    raw=st.one_of(
        st.binary(max_size=400),
        st.lists(
            st.sampled_from(
                [
                    b"From: a@b.example\r\n",
                    b"From: =?bogus?Q?x?= <>\r\n",
                    b"Content-Type: multipart/mixed; boundary=zz\r\n",
                    b"Content-Type: text/plain; charset=klingon\r\n",
                    b"Content-Transfer-Encoding: base64\r\n",
                    b"Message-ID: <x@y>\r\n",
                    b"\r\n",
                    b"--zz\r\n",
                    b"\xff\xfe caf\xe9\r\n",
                ]
            ),
            max_size=12,
        ).map(b"".join),
    )
)
def test_whatever_the_bytes_the_intake_stores_them_and_never_raises(
    mail_app: Flask, raw: bytes
) -> None:
    context = helpdesk(mail_app)
    with context.sessions() as session:
        intake = email_intake.take(session, context.hours, context.settings, raw, source="pipe")
        session.rollback()  # each example starts from the same database
    assert intake.outcome in set(Outcome)
