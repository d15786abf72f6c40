"""The ticket is the conversation: what the client wrote (text, files, quoted history folded),
their phone messages, the notes, and every message sent, with its delivery state; the staff's
notices carry the client's words and a link to the ticket; mail that does not fit is kept and
the client told; answers go only to an address that can take them."""

from __future__ import annotations

import socket
from email.message import EmailMessage as MimeMessage
from typing import Any

import boto3
import pytest
import time_machine
from botocore.config import Config
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import create_app
from helpdesk.context import Context
from mail import intake as email_intake
from models import (
    DeliveryState,
    EmailAttachment,
    EmailMessage,
    InboundMail,
    Notification,
    Quarantine,
    StoredChunk,
    StoredFile,
    Ticket,
)
from storage import files as stored_files
from storage.bucket import Bucket
from tests.conftest import SmtpInbox, app_config
from tests.console_world import HELENE, KARIM, LUC, give_passwords, signed_in
from tests.mailing import (
    EMILY,
    MARIE,
    STRANGER,
    is_acknowledgement,
    letter,
    prepare,
    run_due_tasks,
    text_of,
    worker,
)
from tests.phone import RecordingTwilioHttp, at, place_call

TUESDAY_10H = at(2026, 12, 1, 10)
MARIE_ADDRESS = "marie.tremblay@boulangerie.example"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # the bytes of an image, as far as a browser cares
ZIP, BACKUP = "application/zip", b"\x00" * 30_000  # the "30 MB backup", in small
REPLY = (
    "Bonjour,\n\nC'est encore bloqué ce matin.\n\nMarie\n\n"
    "Le 1 déc. 2026 à 09:15, Support AltiLogix a écrit :\n"
    "> Nous avons bien reçu votre demande (billet 1001).\n"
)


@pytest.fixture
def desk(phone_app: Flask, db: Session, smtp_inbox: SmtpInbox) -> Context:
    """The demo directory with passwords, and a worker that sends to a real SMTP server."""
    prepare(db)
    give_passwords(db)
    return worker(phone_app, smtp_inbox).replace(twilio_http=RecordingTwilioHttp())


def arrives(context: Context, raw: bytes) -> None:
    """An email comes in at 10:00 on a Tuesday, and the worker does what it sets going."""
    with time_machine.travel(TUESDAY_10H, tick=False):
        email_intake.receive(context, raw, source="pipe")
        run_due_tasks(context)


def with_files(*files: tuple[str, str, bytes], **fields: Any) -> bytes:
    """Marie's request with attachments: (file name, content type, bytes); other headers by
    name (From and To too)."""
    message = MimeMessage()
    message["From"] = fields.pop("From", MARIE)
    message["To"] = fields.pop("To", "support-regulier@altilogix.example")
    message["Subject"], message["Message-ID"] = "Relevé refusé", "<files-1@client.example>"
    for name, value in fields.items():
        message[name.replace("_", "-")] = value
    message.set_content("Bonjour,\n\nVoici la capture et le relevé.\n\nMarie")
    for filename, kind, content in files:
        main, sub = kind.split("/")
        message.add_attachment(content, maintype=main, subtype=sub, filename=filename)
    return message.as_bytes()


def page(app: Flask, who: str, number: int = 1001) -> str:
    return signed_in(app, who).text(f"/console/tickets/{number}")


def test_the_ticket_shows_what_the_client_wrote_with_the_quoted_history_folded(
    desk: Context, phone_app: Flask
) -> None:
    arrives(desk, letter(sender=MARIE, body="Sage 50 refuse de démarrer depuis hier."))
    arrives(desk, letter(sender=MARIE, subject="Re: [#1001] Sage 50", body=REPLY))
    shown = page(phone_app, LUC)
    assert "Sage 50 refuse de démarrer depuis hier." in shown
    assert "C&#39;est encore bloqué ce matin." in shown
    assert "<summary>Historique cité</summary>" in shown
    folded = shown.split("<summary>Historique cité</summary>")[1]
    assert "Nous avons bien reçu votre demande (billet 1001)." in folded


def test_html_mail_is_shown_as_text_never_as_html(desk: Context, phone_app: Flask) -> None:
    raw = letter(sender=MARIE, body="<p>Bonjour</p><script>alert(1)</script><b>Erreur 104</b>")
    raw = raw.replace(b"Content-Type: text/plain", b"Content-Type: text/html", 1)
    arrives(desk, raw)
    shown = page(phone_app, LUC)
    assert "Erreur 104" in shown and "<script>alert(1)" not in shown and "<b>Erreur" not in shown


def test_files_are_listed_and_downloaded_by_staff_who_may_open_the_ticket(
    desk: Context, phone_app: Flask, db: Session
) -> None:
    arrives(desk, with_files(("relevé mars.csv", "text/csv", b"date;montant\n")))
    kept = db.scalars(select(EmailAttachment)).one()
    assert f'href="/console/attachments/{kept.id}"' in page(phone_app, LUC)
    download = signed_in(phone_app, LUC).get(f"/console/attachments/{kept.id}")
    assert download.status_code == 200 and download.data == b"date;montant\n"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.mimetype == "application/octet-stream"
    karim = signed_in(phone_app, KARIM)  # urgent line only: not his ticket
    assert karim.get(f"/console/attachments/{kept.id}").status_code == 403


def test_an_image_is_shown_in_the_conversation_and_other_files_never_inline(
    desk: Context, phone_app: Flask, db: Session
) -> None:
    files = (("capture.png", "image/png", PNG), ("page.html", "text/html", b"<script>x</script>"))
    arrives(desk, with_files(*files))
    image, html = db.scalars(select(EmailAttachment).order_by(EmailAttachment.position)).all()
    assert f'src="/console/attachments/{image.id}?inline=1"' in page(phone_app, LUC)
    luc = signed_in(phone_app, LUC)
    shown = luc.get(f"/console/attachments/{image.id}?inline=1")
    assert shown.mimetype == "image/png" and shown.headers["Content-Disposition"].startswith(
        "inline"
    )
    forced = luc.get(f"/console/attachments/{html.id}?inline=1")
    assert forced.mimetype == "application/octet-stream"
    assert forced.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in forced.headers["Content-Security-Policy"]


# Three whole chunks of storage and a piece of a fourth, every byte value in it.
BIG_FILE = bytes(range(256)) * (3 * stored_files.CHUNK_BYTES // 256) + b"fin du fichier"


def test_a_file_of_several_chunks_is_stored_in_chunks_and_downloaded_whole_from_another_host(
    desk: Context, db: Session, engine_url: str
) -> None:
    arrives(desk, with_files(("sauvegarde.zip", "application/zip", BIG_FILE)))
    kept = db.scalars(select(EmailAttachment)).one()
    assert kept.stored_file_id is not None and kept.set_aside is None
    assert len(db.scalars(select(StoredChunk.seq)).all()) == 4
    other_host = signed_in(create_app(app_config(engine_url)), LUC)
    route = f"/console/attachments/{kept.id}"
    with other_host.get(route) as whole:
        assert (whole.status_code, whole.data) == (200, BIG_FILE)
        assert whole.headers["Content-Disposition"].startswith("attachment;")
        assert "sandbox" in whole.headers["Content-Security-Policy"]
    boundary = stored_files.CHUNK_BYTES
    with other_host.get(route, headers={"Range": f"bytes={boundary - 3}-{boundary + 2}"}) as part:
        assert (part.status_code, part.data) == (206, BIG_FILE[boundary - 3 : boundary + 3])


def unreachable_bucket() -> Bucket:
    """A bucket on a port nobody listens on: every write to it fails, once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )
    return Bucket(client, "pieces-jointes")


def test_a_file_that_cannot_be_stored_leaves_the_mail_stored_for_its_task_to_read_again(
    desk: Context, db: Session
) -> None:
    raw = with_files(("relevé mars.csv", "text/csv", b"date;montant\n"))
    with time_machine.travel(TUESDAY_10H, tick=False):
        intake = email_intake.receive(desk.replace(bucket=unreachable_bucket()), raw, source="pipe")
    assert intake.outcome == email_intake.Outcome.STORED
    assert db.scalar(select(EmailMessage.id)) is None and db.scalar(select(Ticket.id)) is None
    inbound = db.scalars(select(InboundMail)).one()
    assert inbound.raw == raw and inbound.read_at is None
    assert email_intake.read_stored(desk, inbound.id).outcome == email_intake.Outcome.NEW_TICKET
    kept = db.scalars(select(EmailAttachment)).one()
    assert stored_files.complete(db, kept.stored_file_id) is not None


def test_a_message_read_twice_keeps_its_files_once(desk: Context, db: Session) -> None:
    raw = with_files(("relevé mars.csv", "text/csv", b"date;montant\n"))
    arrives(desk, raw)
    arrives(desk, raw)  # a re-delivery: the same Message-ID
    assert len(db.scalars(select(EmailAttachment.id)).all()) == 1
    assert len(db.scalars(select(StoredFile.id)).all()) == 1


def test_every_message_sent_is_on_the_ticket_with_its_delivery_state(
    desk: Context, phone_app: Flask
) -> None:
    arrives(desk, letter(sender=MARIE))
    shown = page(phone_app, HELENE)
    assert "Courriel au client" in shown  # the acknowledgement
    assert "Courriel à Luc Gagnon" in shown and "Page (SMS) à Luc Gagnon" in shown
    assert shown.count('class="delivery sent"') >= 4
    assert "Nous avons bien reçu votre message pour du support régulier" in shown


def test_a_message_written_to_the_log_for_want_of_a_mail_server_says_so(
    phone_app: Flask, db: Session
) -> None:
    prepare(db)
    give_passwords(db)
    no_smtp = worker(phone_app).replace(twilio_http=RecordingTwilioHttp())
    arrives(no_smtp, letter(sender=MARIE))
    assert 'class="delivery logged"' in page(phone_app, HELENE)


def test_an_address_the_mail_server_refuses_is_shown_refused_and_not_tried_again(
    phone_app: Flask, db: Session, refusing_smtp: SmtpInbox
) -> None:
    prepare(db)
    give_passwords(db)
    context = worker(phone_app, refusing_smtp).replace(twilio_http=RecordingTwilioHttp())
    arrives(context, letter(sender=MARIE))  # Marie's address, refused by this server
    db.expire_all()
    ack = db.scalars(select(Notification).where(Notification.staff_member_id.is_(None))).one()
    assert ack.state == DeliveryState.REFUSED and "550" in ack.last_error
    shown = page(phone_app, HELENE)
    assert 'class="delivery refused"' in shown and "550" in shown


def test_a_held_answer_shows_why_and_a_supervisor_sends_it_from_the_page(
    desk: Context, phone_app: Flask, smtp_inbox: SmtpInbox, db: Session
) -> None:
    arrives(desk, letter(sender=MARIE))
    # The same text again, as a reply: a loop, or so it looks.
    arrives(desk, letter(sender=MARIE, subject="RE: Sage 50 ne démarre plus"))
    db.expire_all()
    held = db.scalars(select(Notification).where(Notification.state == DeliveryState.HELD)).one()
    number = db.get(Ticket, held.ticket_id).number  # type: ignore[union-attr]
    helene = signed_in(phone_app, HELENE)
    shown = helene.text(f"/console/tickets/{number}")
    assert "le même texte encore, de cet expéditeur" in shown and "Envoyer quand même" in shown
    assert str(number) in helene.text("/console/undelivered")
    assert "Messages non envoyés : 1 retenus pour un superviseur" in helene.text("/console/sla")
    answer = helene.post(f"/console/notifications/{held.id}/send")
    assert answer.status_code == 302
    run_due_tasks(desk)
    to_marie = [m["To"] for m in smtp_inbox.messages if is_acknowledgement(m)]
    assert to_marie.count("marie.tremblay@boulangerie.example") == 2
    assert "Tous les messages ont été envoyés." in helene.text("/console/undelivered")


def test_held_answers_are_counted_in_the_health_report(
    desk: Context, phone_app: Flask, back_office_alive: None
) -> None:
    arrives(desk, letter(sender=MARIE))
    arrives(desk, letter(sender=MARIE, subject="RE: Sage 50 ne démarre plus"))
    report = phone_app.test_client().get("/healthz").get_json()
    assert report["outbox"]["notifications_held"] == 1


def test_the_technicians_email_carries_the_client_s_words_and_a_link_to_the_ticket(
    desk: Context, smtp_inbox: SmtpInbox
) -> None:
    arrives(desk, letter(sender=MARIE, body="Sage 50 refuse de démarrer.\n\nMarie"))
    [luc] = [m for m in smtp_inbox.messages if m["To"] == "luc@altilogix.example"]
    text = luc.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Sage 50 refuse de démarrer." in text
    assert "https://support.altilogix.example/console/tickets/1001" in text


def test_the_technicians_new_ticket_email_lists_the_client_s_files_by_name_and_size(
    desk: Context, smtp_inbox: SmtpInbox
) -> None:
    log = b"ERREUR 104\n" * 300  # 3 300 bytes
    arrives(desk, with_files(("capture.png", "image/png", PNG), ("sage.log", "text/plain", log)))
    [luc] = [m for m in smtp_inbox.messages if m["To"] == "luc@altilogix.example"]
    text = luc.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    text = text.replace("\r\n", "\n")
    assert (
        "Pièces jointes du client (dans la console, par le lien ci-dessous) :\n"
        "- capture.png (72 o)\n- sage.log (3 Ko)\n\n"
        "Le billet dans la console : https://support.altilogix.example/console/tickets/1001"
    ) in text
    assert list(luc.iter_attachments()) == []  # listed, not attached


def test_a_phone_ticket_s_notice_points_to_the_console_never_to_twilio(
    desk: Context, phone_app: Flask, smtp_inbox: SmtpInbox
) -> None:
    place_call(phone_app, TUESDAY_10H, press="6")
    with time_machine.travel(at(2026, 12, 1, 10, 2), tick=False):
        run_due_tasks(desk)
    [luc] = [m for m in smtp_inbox.messages if m["To"] == "luc@altilogix.example"]
    text = luc.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "https://support.altilogix.example/console/tickets/1001" in text
    assert "api.twilio.com" not in text and "message vocal de 12 s" in text


def test_a_message_to_verify_shows_its_text(desk: Context, phone_app: Flask) -> None:
    arrives(desk, letter(sender=STRANGER, body="Je cherche à joindre le support pour ma licence."))
    shown = signed_in(phone_app, HELENE).text("/console/verify")
    assert "Je cherche à joindre le support pour ma licence." in shown


def test_a_known_contact_s_message_over_the_limit_is_kept_and_acknowledged_with_files_set_aside(
    phone_app: Flask, db: Session, smtp_inbox: SmtpInbox, engine_url: str
) -> None:
    prepare(db)
    small = create_app(app_config(engine_url, MAIL_MAX_BYTES=20_000))
    context = worker(small, smtp_inbox).replace(twilio_http=RecordingTwilioHttp())
    backup = b"\x00" * 30_000  # the "30 MB backup", in small
    raw = with_files(
        ("capture.png", "image/png", PNG), ("sauvegarde.zip", "application/zip", backup)
    )
    arrives(context, raw)
    db.expire_all()
    ticket = db.scalars(select(Ticket)).one()
    assert not ticket.to_verify and db.scalar(select(Quarantine.id)) is None
    files = db.scalars(select(EmailAttachment).order_by(EmailAttachment.position)).all()
    assert [(f.filename, f.set_aside) for f in files] == [
        ("capture.png", None),
        ("sauvegarde.zip", "too_big"),
    ]
    assert files[1].stored_file_id is None and files[1].size == 30_000
    [ack] = [m for m in smtp_inbox.messages if m["To"] == MARIE_ADDRESS]
    text = ack.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Pièces jointes trop volumineuses, mises de côté (au-delà de 0 Mo) : sauvegarde.zip" in (
        text
    )


def small_mail(engine_url: str, smtp_inbox: SmtpInbox) -> Context:
    """The worker of an app that keeps 20 000 bytes of a message: BACKUP is set aside."""
    small = create_app(app_config(engine_url, MAIL_MAX_BYTES=20_000))
    return worker(small, smtp_inbox).replace(twilio_http=RecordingTwilioHttp())


def test_the_acknowledgement_says_how_to_send_files_set_aside_without_replying_to_it(
    phone_app: Flask, db: Session, smtp_inbox: SmtpInbox, engine_url: str
) -> None:
    prepare(db)
    arrives(small_mail(engine_url, smtp_inbox), with_files(("sauvegarde.zip", ZIP, BACKUP)))
    [ack] = [m for m in smtp_inbox.messages if m["To"] == MARIE_ADDRESS]
    text = text_of(ack)
    assert text.endswith(
        "Pièces jointes trop volumineuses, mises de côté (au-delà de 0 Mo) : sauvegarde.zip. "
        "Pour nous les transmettre, déposez-les sur un service de partage de fichiers et "
        "envoyez-nous le lien dans un nouveau courriel à support-regulier@altilogix.example, avec "
        "[#1001] dans l\u2019objet : il sera ajouté à votre billet. Vous pouvez aussi les "
        "remettre au technicien qui vous rappellera.\n"
    )
    assert "ne pas répondre à ce message" in text  # the policy's words stay, and still hold


def test_a_new_email_with_the_link_and_the_ticket_s_number_lands_on_the_ticket(
    phone_app: Flask, db: Session, smtp_inbox: SmtpInbox, engine_url: str
) -> None:
    prepare(db)
    context = small_mail(engine_url, smtp_inbox)
    arrives(context, with_files(("sauvegarde.zip", ZIP, BACKUP)))
    smtp_inbox.messages.clear()
    link = letter(
        subject="[#1001] Lien vers la sauvegarde",
        body="Voici le lien : https://partage.boulangerie.example/sauvegarde.zip",
    )
    with time_machine.travel(at(2026, 12, 1, 10, 30), tick=False):
        taken = email_intake.receive(context, link, source="pipe")
        run_due_tasks(context)
    assert (taken.outcome, taken.ticket_number) == (email_intake.Outcome.REPLY, 1001)
    assert [m for m in smtp_inbox.messages if m["To"] == MARIE_ADDRESS] == []  # no second ack


def test_an_urgent_request_s_files_are_sent_to_the_urgent_address_in_english(
    phone_app: Flask, db: Session, smtp_inbox: SmtpInbox, engine_url: str
) -> None:
    prepare(db)
    raw = with_files(("backup.zip", ZIP, BACKUP), From=EMILY, To="support-urgent@altilogix.example")
    arrives(small_mail(engine_url, smtp_inbox), raw)
    [ack] = [m for m in smtp_inbox.messages if m["To"] == "emily@dental.example"]
    text = text_of(ack)
    assert text.endswith(
        "Some attachments were too large (over 0 MB) and were set aside: backup.zip. To send them "
        "to us, put them on a file-sharing service and email us the link in a new message to "
        "support-urgent@altilogix.example, with [#1001] in the subject: it will be added to your "
        "ticket. You can also give them to the technician who calls you back.\n"
    )


def test_a_message_bigger_than_the_doors_take_is_refused_so_the_sender_hears_of_it(
    phone_app: Flask, db: Session, engine_url: str
) -> None:
    prepare(db)
    small = create_app(
        app_config(engine_url, MAIL_ACCEPT_MAX_BYTES=5_000, INBOUND_EMAIL_SECRET="s")
    )
    raw = letter(sender=MARIE, body="x" * 10_000)
    piped = small.test_cli_runner().invoke(args=["email", "ingest"], input=raw)
    assert piped.exit_code == 69  # EX_UNAVAILABLE: the mail server bounces it to the sender
    posted = small.test_client().post(
        "/email/inbound", data=raw, headers={"Authorization": "Bearer s"}
    )
    assert posted.status_code == 413
    assert db.scalar(select(EmailMessage.id)) is None


def test_the_answer_goes_to_a_valid_reply_to(desk: Context, smtp_inbox: SmtpInbox) -> None:
    arrives(desk, letter(sender=MARIE, Reply_To="Comptabilité <compta@boulangerie.example>"))
    acks = [m for m in smtp_inbox.messages if is_acknowledgement(m)]
    assert [m["To"] for m in acks] == ["compta@boulangerie.example"]


def test_a_malformed_sender_gets_no_answer_and_the_ticket_says_so(
    desk: Context, smtp_inbox: SmtpInbox, phone_app: Flask, db: Session
) -> None:
    raw = letter(sender=STRANGER).replace(
        b"From: Paul Inconnu <paul@ailleurs.example>", b"From: Paul <paul@ailleurs>"
    )
    arrives(desk, raw)
    assert all(m["To"] not in ("<>", "", "paul@ailleurs") for m in smtp_inbox.messages)
    assert [m["To"] for m in smtp_inbox.messages if "support d" in str(m["Subject"])] == []
    number = db.scalars(select(Ticket.number)).one()
    shown = signed_in(phone_app, HELENE).text(f"/console/tickets/{number}")
    assert "Aucune réponse automatique envoyée" in shown
