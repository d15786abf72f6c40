"""Senders authenticated before they are trusted (the receiving server's Authentication-Results,
or DKIM verified here), and no backscatter: what a stranger is answered, where, how often."""

from __future__ import annotations

import base64
import subprocess
import threading
from datetime import datetime
from email.message import EmailMessage as MimeMessage
from pathlib import Path

import dkim
import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.context import Context
from mail import authenticity, replies
from mail import intake as email_intake
from mail.intake import Intake, Outcome
from mail.reading import trust
from models import (
    EmailMessage,
    MailDirection,
    Notification,
    OutboxTask,
    Ticket,
    TicketEvent,
    TicketEventKind,
)
from tests import concurrency
from tests.conftest import SmtpInbox
from tests.console_world import HELENE, give_passwords, signed_in
from tests.mailing import MARIE, STRANGER, URGENT, letter, prepare, run_due_tasks
from tests.mailing import worker as mail_worker
from tests.phone import RecordingTwilioHttp, at

MX = "mx.altilogix.example"
TUESDAY_10H = at(2026, 12, 1, 10)
PAUL = "paul@ailleurs.example"


def results(
    spf: str = "pass",
    dkim_result: str = "pass",
    dmarc: str = "pass",
    domain: str = "boulangerie.example",
    server: str = MX,
) -> str:
    """An Authentication-Results header as a receiving server writes it."""
    return (
        f"{server}; spf={spf} smtp.mailfrom=bounce@{domain}; "
        f"dkim={dkim_result} header.d={domain} header.s=s1; dmarc={dmarc} header.from={domain}"
    )


FORGED = results("fail", "fail", "fail")


@pytest.fixture
def twilio_api() -> RecordingTwilioHttp:
    return RecordingTwilioHttp()


@pytest.fixture
def desk(
    phone_app: Flask, db: Session, smtp_inbox: SmtpInbox, twilio_api: RecordingTwilioHttp
) -> Context:
    """The worker of a host that trusts its receiving server, MX, sending to a real SMTP
    server, with Twilio's API recorded."""
    prepare(db)
    give_passwords(db)
    context = mail_worker(phone_app, smtp_inbox, mail_authserv_id=MX)
    return context.replace(twilio_http=twilio_api)


def arrives(context: Context, raw: bytes, when: datetime = TUESDAY_10H) -> Intake:
    """Through the pipe, and the worker does what it sets going."""
    with time_machine.travel(when, tick=False):
        intake = email_intake.receive(context, raw, source="pipe")
        run_due_tasks(context)
    return intake


def stored_row(db: Session, intake: Intake) -> EmailMessage:
    db.expire_all()
    return db.scalars(
        select(EmailMessage).where(EmailMessage.message_id == intake.message_id)
    ).one()


def to(inbox: SmtpInbox, address: str) -> list[MimeMessage]:
    return [m for m in inbox.messages if m["To"] == address]


# Senders authenticated


def test_a_forged_urgent_mail_from_an_authorized_contact_opens_no_ticket_and_pages_nobody(
    desk: Context, db: Session, smtp_inbox: SmtpInbox, twilio_api: RecordingTwilioHttp
) -> None:
    intake = arrives(desk, letter(sender=MARIE, to=URGENT, Authentication_Results=FORGED))
    assert intake.outcome == Outcome.TO_VERIFY
    ticket = db.scalars(select(Ticket)).one()
    assert (ticket.to_verify, ticket.sla_due_at) == (True, None)
    assert stored_row(db, intake).authentication == trust.DMARC_FAIL
    assert twilio_api.requests == []
    told = sorted(m["To"] for m in smtp_inbox.messages)
    assert told == ["david@altilogix.example", "helene@altilogix.example"]  # the supervisors


def test_the_verify_page_says_why_a_message_failed_authentication(
    desk: Context, phone_app: Flask
) -> None:
    arrives(desk, letter(sender=MARIE, Authentication_Results=FORGED))
    page = signed_in(phone_app, HELENE).text("/console/verify")
    assert "Expéditeur non authentifié : DMARC a échoué" in page


def test_an_authenticated_authorized_contact_opens_a_ticket(desk: Context, db: Session) -> None:
    intake = arrives(desk, letter(sender=MARIE, Authentication_Results=results()))
    assert intake.outcome == Outcome.NEW_TICKET
    assert stored_row(db, intake).authentication == trust.PASS


def test_results_written_by_another_server_are_ignored(desk: Context, db: Session) -> None:
    claimed = results(server="mx.ailleurs.example")
    intake = arrives(desk, letter(sender=MARIE, Authentication_Results=claimed))
    assert intake.outcome == Outcome.TO_VERIFY
    assert stored_row(db, intake).authentication == trust.NO_RESULTS


def test_with_a_trusted_server_set_mail_it_did_not_authenticate_is_not_trusted(
    desk: Context, db: Session
) -> None:
    intake = arrives(desk, letter(sender=MARIE))
    assert (intake.outcome, stored_row(db, intake).authentication) == (
        Outcome.TO_VERIFY,
        trust.NO_RESULTS,
    )


def test_without_a_trusted_server_senders_are_not_checked(
    phone_app: Flask, db: Session, smtp_inbox: SmtpInbox
) -> None:
    prepare(db)
    context = mail_worker(phone_app, smtp_inbox).replace(twilio_http=RecordingTwilioHttp())
    intake = arrives(context, letter(sender=MARIE, Authentication_Results=FORGED))
    assert intake.outcome == Outcome.NEW_TICKET
    assert stored_row(db, intake).authentication == trust.NOT_CHECKED


def test_spf_passing_for_another_domain_does_not_vouch_for_the_from() -> None:
    header = f"{MX}; spf=pass smtp.mailfrom=x@ailleurs.example; dkim=none; dmarc=none"
    assert trust.verdict([header], "marie@boulangerie.example", MX) == trust.SPF_DKIM_FAIL


def test_spf_passing_for_a_subdomain_of_the_from_vouches_for_it() -> None:
    header = f"{MX}; spf=pass smtp.mailfrom=bounce@mail.boulangerie.example"
    assert trust.verdict([header], "marie@boulangerie.example", MX) == trust.PASS


def test_only_the_topmost_header_of_the_trusted_server_counts() -> None:
    """The receiving server removes forged headers with its name and writes its own on top."""
    headers = [results("fail", "fail", "fail"), results()]
    assert trust.verdict(headers, "marie@boulangerie.example", MX) == trust.DMARC_FAIL


def _reply_to_marie_s_ticket(
    desk: Context, db: Session, sender: str, header: str, **headers: str
) -> Intake:
    arrives(desk, letter(sender=MARIE, Authentication_Results=results()))
    original = db.scalars(
        select(EmailMessage.message_id).where(EmailMessage.direction == MailDirection.IN)
    ).first()  # Marie's own: a third party she copied may know it
    assert original is not None
    return arrives(
        desk,
        letter(
            sender=sender,
            subject="Re: Sage 50",
            body="Le mot de passe est 1234",
            In_Reply_To=f"<{original}>",
            Authentication_Results=header,
            **headers,
        ),
        at(2026, 12, 1, 10, 5),
    )


def test_a_stranger_who_knows_a_message_id_does_not_write_on_the_ticket(
    desk: Context, db: Session, smtp_inbox: SmtpInbox
) -> None:
    domain = "ailleurs.example"
    intake = _reply_to_marie_s_ticket(desk, db, STRANGER, results(domain=domain))
    assert intake.outcome == Outcome.TO_VERIFY
    assert intake.ticket_number == 1002
    first = db.scalars(select(Ticket).where(Ticket.number == 1001)).one()
    events = db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == first.id)).all()
    assert [e.kind for e in events].count(TicketEventKind.EMAIL_IN) == 1  # Marie's own
    notices = db.scalars(select(OutboxTask.args).where(OutboxTask.task == "ticket.notify"))
    assert "email" not in [args["notice"] for args in notices]  # "the client wrote…": never
    claims = db.scalars(
        select(TicketEvent)
        .where(TicketEvent.kind == TicketEventKind.EMAIL_IN)
        .order_by(TicketEvent.id.desc())
    ).first()
    assert claims is not None and claims.data["claims"] == 1001


def test_a_forged_auto_reply_is_kept_but_not_noted_on_the_ticket_it_names(
    desk: Context, db: Session
) -> None:
    intake = _reply_to_marie_s_ticket(desk, db, STRANGER, "", Auto_Submitted="auto-replied")
    assert intake.outcome == Outcome.AUTOMATIC and intake.ticket_number is None
    assert stored_row(db, intake).ticket_id is None


def test_a_strangers_authenticated_auto_reply_is_not_noted_on_a_clients_ticket(
    desk: Context, db: Session
) -> None:
    # Its own domain passes, but it is not the client's: it could write anything on the ticket.
    header = results(domain="ailleurs.example")
    intake = _reply_to_marie_s_ticket(desk, db, STRANGER, header, Auto_Submitted="auto-replied")
    assert intake.outcome == Outcome.AUTOMATIC and intake.ticket_number is None
    assert stored_row(db, intake).ticket_id is None


def test_an_authenticated_auto_reply_to_our_own_email_is_noted_on_its_ticket(
    desk: Context, db: Session
) -> None:
    arrives(desk, letter(sender=MARIE, Authentication_Results=results()))
    ours = db.scalars(
        select(EmailMessage.message_id).where(EmailMessage.direction == MailDirection.OUT)
    ).first()
    assert ours is not None  # the acknowledgement
    absent = letter(
        sender="Marie Tremblay <marie.tremblay@boulangerie.example>",
        subject="Absente",
        In_Reply_To=f"<{ours}>",
        Auto_Submitted="auto-replied",
        Authentication_Results=results(),
    )
    intake = arrives(desk, absent, at(2026, 12, 1, 10, 5))
    assert (intake.outcome, intake.ticket_number) == (Outcome.AUTOMATIC, 1001)


def test_an_auto_reply_naming_only_the_clients_own_email_is_not_noted(
    desk: Context, db: Session
) -> None:
    # The client's Message-ID may have been copied to anybody; ours went to the client alone.
    sender = "absent@boulangerie.example"
    intake = _reply_to_marie_s_ticket(desk, db, sender, results(), Auto_Submitted="auto-replied")
    assert intake.outcome == Outcome.AUTOMATIC and intake.ticket_number is None


def test_a_dmarc_pass_for_another_from_domain_vouches_for_nothing() -> None:
    header = f"{MX}; spf=pass smtp.mailfrom=evil.example; dmarc=pass header.from=evil.example"
    assert trust.verdict([header], "marie@boulangerie.example", MX) == trust.SPF_DKIM_FAIL


def test_mail_from_several_addresses_is_not_trusted(desk: Context, db: Session) -> None:
    header = f"{MX}; spf=pass smtp.mailfrom=evil.example; dmarc=pass header.from=evil.example"
    intake = arrives(
        desk, letter(sender=f"{MARIE}, eve@evil.example", Authentication_Results=header)
    )
    assert intake.outcome == Outcome.TO_VERIFY
    assert stored_row(db, intake).authentication == trust.SPF_DKIM_FAIL


def test_an_authorized_contact_s_forged_reply_is_a_message_to_verify(
    desk: Context, db: Session
) -> None:
    intake = _reply_to_marie_s_ticket(desk, db, MARIE, FORGED)
    assert (intake.outcome, intake.ticket_number) == (Outcome.TO_VERIFY, 1002)


def test_an_authorized_contact_s_authenticated_reply_is_added_to_the_ticket(
    desk: Context, db: Session
) -> None:
    intake = _reply_to_marie_s_ticket(desk, db, MARIE, results())
    assert (intake.outcome, intake.ticket_number) == (Outcome.REPLY, 1001)


# DKIM verified here


@pytest.fixture(scope="module")
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    """An RSA key made by openssl: (private key PEM, public key DER as DNS publishes it)."""
    folder: Path = tmp_path_factory.mktemp("dkim")
    private = folder / "key.pem"
    subprocess.run(
        ["openssl", "genrsa", "-traditional", "-out", str(private), "2048"],
        check=True,
        capture_output=True,
    )
    public = subprocess.run(
        ["openssl", "rsa", "-in", str(private), "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    return private.read_bytes(), public


def signed(raw: bytes, key: bytes, domain: str = "boulangerie.example") -> bytes:
    signature = dkim.sign(raw, b"s1", domain.encode(), key, include_headers=[b"from", b"subject"])
    return bytes(signature) + raw


def dns_of(public: bytes) -> object:
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == b"s1._domainkey.boulangerie.example." else None

    return lookup


def test_a_valid_dkim_signature_is_verified_here(signing_key: tuple[bytes, bytes]) -> None:
    private, public = signing_key
    raw = signed(letter(sender=MARIE), private)
    assert authenticity.verified_domains(raw, dns_of(public)) == {"boulangerie.example"}  # type: ignore[arg-type]


def test_a_message_changed_after_signing_does_not_verify(
    signing_key: tuple[bytes, bytes],
) -> None:
    private, public = signing_key
    raw = signed(letter(sender=MARIE), private).replace(b"Sage 50", b"Sage 51")
    assert authenticity.verified_domains(raw, dns_of(public)) == frozenset()  # type: ignore[arg-type]


def test_a_signature_verified_here_lets_an_authorized_contact_in_without_the_server(
    desk: Context, db: Session
) -> None:
    with desk.transaction() as session:
        signed_here = email_intake.take(
            session,
            desk.hours,
            desk.settings,
            letter(sender=MARIE),
            source="pipe",
            dkim_domains=frozenset({"boulangerie.example"}),
        )
    assert signed_here.outcome == Outcome.NEW_TICKET


def test_a_signature_of_another_domain_does_not(desk: Context) -> None:
    assert (
        trust.verdict([], "marie@boulangerie.example", "", dkim_domains={"ailleurs.example"})
        == trust.SPF_DKIM_FAIL
    )


# No backscatter


def test_the_reply_to_a_stranger_echoes_neither_their_subject_nor_their_text(
    desk: Context, smtp_inbox: SmtpInbox
) -> None:
    spam = letter(
        sender=STRANGER,
        subject="BUY CHEAP PILLS",
        body="http://pills.example",
        Authentication_Results=results(domain="ailleurs.example"),
    )
    arrives(desk, spam)
    [answer] = to(smtp_inbox, PAUL)
    assert "PILLS" not in str(answer) and "pills.example" not in str(answer)


def test_a_stranger_is_answered_once_a_day(
    desk: Context, db: Session, smtp_inbox: SmtpInbox
) -> None:
    vouched = results(domain="ailleurs.example")
    arrives(desk, letter(sender=STRANGER, body="un", Authentication_Results=vouched))
    arrives(
        desk,
        letter(sender=STRANGER, body="deux", Authentication_Results=vouched),
        at(2026, 12, 1, 15),
    )
    assert len(to(smtp_inbox, PAUL)) == 1
    second = db.scalars(select(Ticket).where(Ticket.number == 1002)).one()
    unsent = db.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id == second.id, TicketEvent.kind == TicketEventKind.EMAIL_OUT
        )
    ).one()
    assert unsent.data["unsent"] == "answered_today"
    arrives(
        desk,
        letter(sender=STRANGER, body="trois", Authentication_Results=vouched),
        at(2026, 12, 2, 10),
    )
    assert len(to(smtp_inbox, PAUL)) == 2  # the next day


def test_no_reply_goes_where_the_envelope_sender_is_not_the_from(
    desk: Context, db: Session, smtp_inbox: SmtpInbox
) -> None:
    vouched = results(domain="tiers.example")  # DMARC passes for the From's domain
    raw = letter(
        sender="victime@tiers.example",
        Return_Path="<paul@ailleurs.example>",
        Authentication_Results=vouched,
    )
    arrives(desk, raw)
    assert to(smtp_inbox, "victime@tiers.example") == [] and to(smtp_inbox, PAUL) == []
    unsent = db.scalars(select(TicketEvent).where(TicketEvent.kind == TicketEventKind.EMAIL_OUT))
    assert [e.data["unsent"] for e in unsent] == ["envelope_mismatch"]


def test_mail_without_an_envelope_sender_is_not_answered(
    desk: Context, smtp_inbox: SmtpInbox
) -> None:
    vouched = results(domain="ailleurs.example")
    arrives(desk, letter(sender=STRANGER, Return_Path="", Authentication_Results=vouched))
    assert to(smtp_inbox, PAUL) == []


def test_the_ticket_says_a_stranger_was_not_answered_for_want_of_an_envelope_sender(
    desk: Context, db: Session
) -> None:
    vouched = results(domain="ailleurs.example")
    arrives(desk, letter(sender=STRANGER, Return_Path="", Authentication_Results=vouched))
    unsent = db.scalars(select(TicketEvent).where(TicketEvent.kind == TicketEventKind.EMAIL_OUT))
    assert [e.data["unsent"] for e in unsent] == ["no_envelope_sender"]


def test_a_reply_to_address_does_not_redirect_the_answer(
    desk: Context, smtp_inbox: SmtpInbox
) -> None:
    vouched = results(domain="ailleurs.example")
    arrives(
        desk,
        letter(sender=STRANGER, Reply_To="victime@tiers.example", Authentication_Results=vouched),
    )
    assert to(smtp_inbox, "victime@tiers.example") == []
    assert len(to(smtp_inbox, PAUL)) == 1


def test_mail_that_failed_authentication_is_never_answered(
    desk: Context, db: Session, smtp_inbox: SmtpInbox
) -> None:
    arrives(desk, letter(sender=STRANGER, Authentication_Results=FORGED))
    arrives(desk, letter(sender=MARIE, body="autre", Authentication_Results=FORGED))
    client_mail = [m for m in smtp_inbox.messages if not m["To"].endswith("@altilogix.example")]
    assert client_mail == []


def test_replies_to_strangers_stop_at_the_hourly_cap(
    phone_app: Flask, db: Session, smtp_inbox: SmtpInbox
) -> None:
    prepare(db)
    context = mail_worker(phone_app, smtp_inbox, mail_stranger_answers_per_hour=2)
    for number in range(3):
        sender = f"inconnu{number}@ailleurs{number}.example"
        arrives(context, letter(sender=sender), at(2026, 12, 1, 10, number))
    answered = [m["To"] for m in smtp_inbox.messages if "ailleurs" in m["To"]]
    assert answered == ["inconnu0@ailleurs0.example", "inconnu1@ailleurs1.example"]
    arrives(context, letter(sender="tard@ailleurs9.example"), at(2026, 12, 1, 11, 5))
    assert len(to(smtp_inbox, "tard@ailleurs9.example")) == 1  # the next hour


def test_every_answer_to_a_stranger_has_a_notification_of_its_day(
    desk: Context, db: Session
) -> None:
    arrives(
        desk, letter(sender=STRANGER, Authentication_Results=results(domain="ailleurs.example"))
    )
    keys = db.scalars(select(Notification.key).where(Notification.recipient == PAUL)).all()
    assert (
        len(keys) == 1 and keys[0].startswith("stranger-answer-") and keys[0].endswith("2026-12-01")
    )


def test_two_workers_answering_strangers_at_once_never_pass_the_hourly_cap(
    phone_app: Flask, db: Session, smtp_inbox: SmtpInbox
) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL's locks (SQLite has one writer at once)")
    prepare(db)
    context = mail_worker(phone_app, smtp_inbox, mail_stranger_answers_per_hour=1)
    with time_machine.travel(TUESDAY_10H, tick=False):
        kept = [
            email_intake.receive(context, letter(sender=f"x{n}@ailleurs{n}.example"), source="pipe")
            for n in range(2)
        ]
    ids = [stored_row(db, intake).id for intake in kept]
    answered: list[list[int]] = []
    with time_machine.travel(TUESDAY_10H, tick=False):
        with context.transaction() as first:  # the first worker has counted, not yet committed
            answered.append(replies.unauthorized(first, context, ids[0]))
            second = threading.Thread(
                target=lambda: answered.append(_answer_in_its_own_unit(context, ids[1]))
            )
            second.start()  # ...when the second counts: it waits for the first's count
            assert concurrency.waits_for_a_lock(db.get_bind(), second)
        concurrency.finish(second)
    assert [len(notes) for notes in answered] == [1, 0]  # the second found the hour spent


def _answer_in_its_own_unit(context: Context, email_id: int) -> list[int]:
    with context.transaction() as session:
        return replies.unauthorized(session, context, email_id)
