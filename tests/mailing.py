"""The email test world: the demo directory with the corpus's senders, messages made to order,
and the outbox's due tasks performed the way a burst worker would, without Redis."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import jobs
from helpdesk.context import Context
from models import (
    Client,
    Contact,
    EmailMessage,
    InboundMail,
    Language,
    OutboxState,
    OutboxTask,
    utcnow,
)
from tests.conftest import SmtpInbox
from tests.phone import helpdesk

CORPUS = Path(__file__).parent / "mail_corpus"
REGULAR = "support-regulier@altilogix.example"
URGENT = "support-urgent@altilogix.example"
MARIE = "Marie Tremblay <marie.tremblay@boulangerie.example>"  # authorized, French
EMILY = "Emily Carter <emily@dental.example>"  # authorized, English
NADIA = "Nadia Roy <nadia@boulangerie.example>"  # a contact, not authorized
STRANGER = "Paul Inconnu <paul@ailleurs.example>"  # not in the directory
JOSEE = "josee.lavoie@garagelavoie.example"
REOPEN = timedelta(days=14)  # REOPEN_DAYS's default: an answer within it reopens a ticket


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def prepare(db: Session) -> None:
    """The corpus's senders in the demo directory (loaded by ``phone_app``): Marie writes from
    a work address whose case differs from the directory's, and Josée Lavoie is a client."""
    marie = db.scalars(select(Contact).where(Contact.name == "Marie Tremblay")).one()
    marie.email = "Marie.Tremblay@Boulangerie.example"
    garage = Client(account="1005", name="Garage Lavoie et fils", language=Language.FR)
    garage.contacts.append(Contact(name="Josée Lavoie", email=JOSEE, language=Language.FR))
    db.add(garage)
    db.commit()


def letter(
    *,
    sender: str = MARIE,
    to: str = REGULAR,
    subject: str = "Sage 50 ne démarre plus",
    body: str = "Bonjour,\n\nSage 50 refuse de démarrer depuis la mise à jour.\n\nMarie",
    **headers: str,
) -> bytes:
    """A person's email as the MTA delivers it, with the envelope sender in Return-Path (the
    From's address unless given); extra headers by name, underscores for dashes
    (In_Reply_To=…)."""
    message = MimeMessage()
    headers.setdefault("Return_Path", f"<{parseaddr(sender)[1]}>")
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain="client.example")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def worker(app: Flask, smtp: SmtpInbox | None = None, **settings: object) -> Context:
    """The worker's context on the app's database, sending to ``smtp`` when given."""
    context = helpdesk(app)
    changes = {"smtp_url": smtp.url} if smtp else {}
    return context.replace(settings=context.settings.replace(**changes, **settings))


def run_due_tasks(context: Context) -> list[str]:
    """Perform every due outbox task, and those they write, until none is left; their names."""
    names: list[str] = []
    while True:
        with context.transaction() as session:
            rows = session.execute(
                select(OutboxTask.id, OutboxTask.task)
                .where(OutboxTask.state == OutboxState.PENDING, OutboxTask.run_at <= utcnow())
                .order_by(OutboxTask.id)
            ).all()
        if not rows:
            return names
        for task_id, name in rows:
            jobs.perform(context, task_id)
            names.append(name)


def read_stored_mail(context: Context) -> list[str]:
    """Perform the due tasks that read stored mail (the HTTP hook's), and only those; what
    each message became."""
    with context.transaction() as session:
        rows = session.execute(
            select(OutboxTask.id, OutboxTask.args)
            .where(OutboxTask.state == OutboxState.PENDING, OutboxTask.task == "email.read")
            .order_by(OutboxTask.id)
        ).all()
    for task_id, _ in rows:
        jobs.perform(context, task_id)
    with context.transaction() as session:
        ids = [args["inbound_id"] for _, args in rows]
        outcomes = session.scalars(
            select(InboundMail.outcome).where(InboundMail.id.in_(ids)).order_by(InboundMail.id)
        )
        return list(outcomes)


def text_of(message: MimeMessage) -> str:
    """An email's plain text part, with its lines as written."""
    part = message.get_body(preferencelist=("plain",))
    assert isinstance(part, MimeMessage)
    return str(part.get_content()).replace("\r\n", "\n")


def is_acknowledgement(message: MimeMessage) -> bool:
    """A French acknowledgement, known by the policy's text: every email about a ticket has the
    ticket's subject."""
    return "un accusé de réception automatisé ***" in text_of(message)


def is_survey_invitation(message: MimeMessage) -> bool:
    """The French email that a ticket is resolved, with its survey's link."""
    return "nous vous invitons à répondre à un petit sondage" in text_of(message)


def pending_tasks(db: Session) -> list[str]:
    db.expire_all()
    rows = db.scalars(select(OutboxTask).where(OutboxTask.state == OutboxState.PENDING))
    return sorted(row.task for row in rows)


def stored(db: Session, message_id: str) -> EmailMessage:
    db.expire_all()
    return db.scalars(select(EmailMessage).where(EmailMessage.message_id == message_id)).one()
