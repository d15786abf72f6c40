"""Email intake: raw bytes in, stored once, and made into what they are.

Every door (the MTA pipe, the HTTP hook, the IMAP poller) first stores the bytes it received
(``accept``: an ``inbound_mail`` row and the task that reads it, committed before anything
else), so nothing is lost to a crash, a timeout or a hostile message. The HTTP hook answers
then; the pipe and IMAP read at once (``read_stored``), the task being their safety net.

Reading (``take``) measures the bytes before parsing them and reads them within
MAIL_READ_SECONDS (``mail.reading``); in one transaction the message is stored (once per
Message-ID) and becomes one of: a new ticket (an authorized contact whose mail the receiving
server authenticated), a reply on a ticket (threaded by its headers or by a ``[#1234]`` token,
from an authorized, authenticated contact of its client), a message to verify (anybody else,
or mail that failed authentication), automatic mail that is kept and never answered, or bytes
in quarantine. What follows (the acknowledgement, the technicians' notices) is written to the
outbox; nothing here talks to the network but the optional DKIM check, before the transaction.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpdesk import business_time, tasks, tickets
from helpdesk.context import Context
from helpdesk.tickets import Requester
from mail import authenticity
from mail.reading import Attachment, InboundMessage, Unreadable, read_message, trust
from mail.reading.headers import deliverable
from mail.reading.measure import hostile_shape
from models import (
    Channel,
    Contact,
    EmailAttachment,
    EmailMessage,
    InboundMail,
    Language,
    Line,
    MailDirection,
    Quarantine,
    Ticket,
    TicketEventKind,
    TicketStatus,
    current_time,
    utcnow,
)
from models.db import insert_or_skip
from models.tickets import NO_SUBJECT
from routing.config import BusinessHours
from settings import Settings
from storage import files

log = logging.getLogger(__name__)
# The acknowledgement waits for the technicians' notice to leave, but never longer than this.
ACKNOWLEDGE_AT_LATEST = timedelta(minutes=2)
# The pipe and IMAP read what they stored at once; the task reads it later if they could not.
READ_LATER = timedelta(minutes=2)


class Outcome(StrEnum):
    NEW_TICKET = "new_ticket"
    REPLY = "reply"
    TO_VERIFY = "to_verify"
    AUTOMATIC = "automatic"  # an auto-reply, a bounce, list mail, our own mail: never answered
    DUPLICATE = "duplicate"  # a Message-ID already stored: nothing done again
    QUARANTINED = "quarantined"
    STORED = "stored"  # stored, not read yet: its task reads it


@dataclass(frozen=True)
class Intake:
    """What one message became; the doors report it (exit code, JSON, log line)."""

    outcome: Outcome
    ticket_number: int | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class Mailboxes:
    """The addresses that matter to the intake, from the settings."""

    regular: str
    urgent: str
    own_addresses: frozenset[str]  # our own senders: mail from them is never answered
    own_domains: frozenset[str]  # the domains of the Message-IDs we make
    max_bytes: int  # kept of one message: its text and the attachments that fit
    accept_bytes: int  # the largest message read at all

    @classmethod
    def of(cls, settings: Settings) -> Mailboxes:
        regular, urgent = settings.support_email_regular.lower(), settings.support_email_urgent
        own = frozenset({regular, urgent.lower(), settings.mail_from.lower()})
        return cls(
            regular=regular,
            urgent=urgent.lower(),
            own_addresses=own,
            own_domains=frozenset({message_id_domain(settings)}),
            max_bytes=settings.mail_max_bytes,
            accept_bytes=settings.mail_accept_max_bytes,
        )


def message_id_domain(settings: Settings) -> str:
    """The right-hand side of every Message-ID we make: MAIL_FROM's domain."""
    return settings.mail_from.rpartition("@")[2].lower() or "altilogix.invalid"


def receive(context: Context, raw: bytes, *, source: str) -> Intake:
    """Store the bytes (committed), then read them at once (the pipe and IMAP). Raises when
    the bytes cannot be stored now (the database is away): the door asks to be sent them
    again. Once they are stored, a failure to read them is the task's to retry (STORED)."""
    inbound_id = accept(context, raw, source=source, read_at=utcnow() + READ_LATER)
    try:
        return read_stored(context, inbound_id)
    except Exception as error:  # stored: the task reads it again in READ_LATER
        log.error("stored email %s not read yet (%s)", inbound_id, type(error).__name__)
        return Intake(Outcome.STORED)


def accept(context: Context, raw: bytes, *, source: str, read_at: datetime | None = None) -> int:
    """Store the raw bytes and the task that reads them (due at ``read_at``, now by default),
    committed when this returns; the id of the stored bytes. Nothing is parsed here."""
    with context.transaction() as session:
        row = InboundMail(
            source=source,
            raw=raw,
            size=len(raw),
            sha256=hashlib.sha256(raw).hexdigest(),
            received_at=current_time(session),
        )
        session.add(row)
        session.flush()
        tasks.read_mail(session, row.id, run_at=read_at)
        return row.id


def read_stored(context: Context, inbound_id: int) -> Intake:
    """Job (and the pipe's and IMAP's next step): read stored bytes into the helpdesk, once.
    DKIM signatures, where MAIL_VERIFY_DKIM is set, are checked before the transaction (DNS),
    and the files that fit are stored (``storage.files``, maybe a bucket) before it too; if
    storing one fails, nothing is read and the raw bytes wait for the task to try again."""
    with context.transaction() as session:
        stored = session.get(InboundMail, inbound_id)
        raw = stored.raw if stored is not None and stored.read_at is None else None
    if raw is None:
        return Intake(Outcome.DUPLICATE)  # read already (the pipe did, or a retried job)
    settings = context.settings
    # Only mail of a sane shape is worth DNS lookups; the rest is quarantined unparsed anyway.
    checks_dkim = settings.mail_verify_dkim and hostile_shape(raw) is None
    dkim = authenticity.verified_domains(raw) if checks_dkim else None
    message = parse(raw, settings)
    saved = _save_files(context, message, settings.mail_max_bytes)
    used: set[int] = set()
    try:
        with context.transaction() as session:
            row = session.scalars(
                select(InboundMail).where(InboundMail.id == inbound_id).with_for_update()
            ).one()
            if row.read_at is not None:  # another reader got there while we checked DKIM
                return Intake(Outcome(row.outcome) if row.outcome else Outcome.DUPLICATE)
            taken = take(
                session,
                context.hours,
                settings,
                raw,
                source=row.source,
                dkim_domains=dkim,
                message=message,
                saved=saved,
            )
            used = set(
                session.scalars(
                    select(EmailAttachment.stored_file_id).where(
                        EmailAttachment.stored_file_id.in_(list(saved.values()))
                    )
                )
            )
            row.read_at, row.outcome = current_time(session), taken.outcome.value
            if len(raw) <= settings.mail_max_bytes:
                row.raw = None  # kept whole by its email_message or quarantine row
            tasks.mail_read(session, inbound_id)
            return taken
    finally:
        # Files no row refers to (a duplicate, a rollback): not kept.
        for file_id in set(saved.values()) - used:
            context.files.remove(file_id)


def parse(raw: bytes, settings: Settings) -> InboundMessage | Unreadable | None:
    """The message read from ``raw``; None when it is too big to be read at all."""
    if len(raw) > settings.mail_accept_max_bytes:
        return None
    own_domains = frozenset({message_id_domain(settings)})
    return read_message(raw, own_domains=own_domains, seconds=settings.mail_read_seconds)


def _save_files(
    context: Context, message: InboundMessage | Unreadable | None, max_bytes: int
) -> dict[int, int]:
    """Store each file that fits, outside any transaction: its position -> stored file id. A
    failure removes what was stored and raises."""
    saved: dict[int, int] = {}
    if not isinstance(message, InboundMessage):
        return saved
    with context.transaction() as session:  # a re-delivery: its files are stored already
        if session.scalar(
            select(EmailMessage.id).where(EmailMessage.message_id == message.message_id)
        ):
            return saved
    try:
        for position, file, fits in kept_files(message, max_bytes):
            if fits and file.content is not None:
                content = file.content
                pieces = (
                    content[at : at + files.CHUNK_BYTES]
                    for at in range(0, len(content), files.CHUNK_BYTES)
                )
                saved[position] = context.files.save(file.content_type, pieces).file_id
    except BaseException:
        for file_id in saved.values():
            context.files.remove(file_id)
        raise
    return saved


def kept_files(message: InboundMessage, max_bytes: int) -> list[tuple[int, Attachment, bool]]:
    """Each file with its position (from 1) and whether it fits: in the message's order, while
    there is room beside the text; the rest set aside."""
    room = max_bytes - len(message.text.encode())
    kept = []
    for position, file in enumerate([*message.attachments, *message.refused_attachments], 1):
        fits = file.content is not None and file.size <= room
        room -= file.size if fits else 0
        kept.append((position, file, fits))
    return kept


def take(
    session: Session,
    hours: BusinessHours,
    settings: Settings,
    raw: bytes,
    *,
    source: str,
    dkim_domains: frozenset[str] | None = None,
    message: InboundMessage | Unreadable | None = None,
    saved: Mapping[int, int] | None = None,
) -> Intake:
    """Store one incoming email and act on it, in the caller's transaction. Never raises on
    bad input: what cannot be read (or is too big, deep or slow to read) goes to quarantine.
    ``dkim_domains``: the domains of the DKIM signatures verified here, if they were.
    ``message``: ``parse(raw)`` when the caller read it already; ``saved``: the files stored
    for it (``read_stored``), by position; a file that fits without one is set aside."""
    boxes = Mailboxes.of(settings)
    if len(raw) > boxes.accept_bytes:  # the doors refuse these; IMAP can only set them aside
        return quarantine(session, raw, "too_big", source, keep=boxes.max_bytes)
    if message is None:
        message = parse(raw, settings)
    assert message is not None  # within accept_bytes
    if isinstance(message, Unreadable):
        return quarantine(session, raw, message.reason, source)
    authentication = trust.verdict(
        message.authentication_results,
        ", ".join((message.from_address, *message.other_senders)),
        settings.mail_authserv_id,
        dkim_domains=dkim_domains,
    )
    row = _store(session, message, raw, source, boxes.max_bytes, authentication, saved or {})
    if row is None:
        return Intake(Outcome.DUPLICATE, message_id=message.message_id)
    automatic = message.automatic or (
        "own_address" if message.from_address in boxes.own_addresses else None
    )
    ticket = thread_of(session, message)
    trusted = trust.passed(authentication)
    contact = sender(session, message.from_address)
    if automatic is not None:
        # A bounce or an auto-reply is noted on its ticket only when its sender is who it says
        # and it answers an email we sent: a stranger's "auto-reply" that knows the client's
        # Message-ID would otherwise write on the ticket.
        ours = ticket is not None and trusted and _answers_our_mail(session, message, ticket)
        return _automatic(row, ticket if ours else None, automatic)
    line = line_of(message, boxes)
    if ticket is not None and not ticket.to_verify:
        if not (trusted and _authorized_for(contact, ticket)):
            # A stranger, a third party or a forger who knows a Message-ID: not on the ticket.
            return _to_verify(session, row, message, contact, ticket.priority, claims=ticket)
        reopen_within = timedelta(days=settings.reopen_days)
        if not _answer_opens_a_new_ticket(session, ticket, contact, reopen_within):
            return _reply(session, hours, row, ticket, message, reopen_within)
        # The new request's line is the address it was written to, as for any request: an
        # answer to an urgent ticket goes to the urgent address its mail came from.
    elif ticket is not None:  # more from whoever wrote a message to verify: on it, unanswered
        return _reply(session, hours, row, ticket, message, timedelta(0))
    if contact is not None and contact.authorized and trusted:
        return _new_ticket(session, hours, row, message, contact, line, follows=ticket)
    return _to_verify(session, row, message, contact, line)


def _answers_our_mail(session: Session, message: InboundMessage, ticket: Ticket) -> bool:
    """Whether the message names (In-Reply-To, References) an email we sent for this ticket:
    its Message-ID went to the client alone, where a client's own Message-ID may have been
    copied to anybody."""
    ids = [*message.in_reply_to, *message.references]
    return bool(ids) and (
        session.scalar(
            select(EmailMessage.id).where(
                EmailMessage.message_id.in_(ids),
                EmailMessage.direction == MailDirection.OUT,
                EmailMessage.ticket_id == ticket.id,
            )
        )
        is not None
    )


def _authorized_for(contact: Contact | None, ticket: Ticket) -> bool:
    """An authorized contact of the ticket's client: who may add to its tickets by email."""
    return contact is not None and contact.authorized and contact.client_id == ticket.client_id


def quarantine(
    session: Session, raw: bytes, reason: str, source: str, *, keep: int | None = None
) -> Intake:
    """Keep unreadable bytes (the same bytes once), cut to ``keep`` bytes when too big."""
    row = {
        "sha256": hashlib.sha256(raw).hexdigest(),
        "reason": reason,
        "source": source,
        "raw": raw if keep is None else raw[:keep],
        "size": len(raw),
        "received_at": current_time(session),
    }
    session.execute(insert_or_skip(session, Quarantine), row)
    return Intake(Outcome.QUARANTINED)


def _store(
    session: Session,
    message: InboundMessage,
    raw: bytes,
    source: str,
    max_bytes: int,
    authentication: str,
    saved: Mapping[int, int],
) -> EmailMessage | None:
    """The message's row and its files, or None when its Message-ID is already stored (a
    re-delivery). A message bigger than ``max_bytes`` keeps its text and the files that fit;
    the others are set aside (the ticket and the acknowledgement say which)."""
    row = {
        "message_id": message.message_id,
        "direction": MailDirection.IN,
        "from_address": message.from_address,
        "to_addresses": ", ".join(message.recipients)[:10_000],
        "subject": message.subject[:300],
        "text": message.text,
        "outcome": "",
        "source": source,
        "raw": raw if len(raw) <= max_bytes else None,
        "size": len(raw),
        "answer_to": answer_address(message),
        "authentication": authentication,
        "return_path": message.return_path[:254],
        "received_at": current_time(session),
    }
    statement = insert_or_skip(session, EmailMessage).returning(EmailMessage.id)
    new_id = session.execute(statement, row).scalar()
    if new_id is None:
        return None
    for position, file, fits in kept_files(message, max_bytes):
        file_id = saved.get(position) if fits else None
        why = None if file_id is not None else ("too_big" if not fits else "not_stored")
        session.add(
            EmailAttachment(
                email_id=new_id,
                position=position,
                filename=file.filename,
                content_type=file.content_type,
                size=file.size,
                sha256=file.sha256,
                stored_file_id=file_id,
                set_aside=why,
                content_id=file.content_id,
            )
        )
    return session.get(EmailMessage, new_id)


def answer_address(message: InboundMessage) -> str:
    """Where answers to this message may go: the first deliverable Reply-To, else a
    deliverable From; "" when there is none (never "<>" or a broken address)."""
    for address in (*message.reply_to, message.from_address):
        if deliverable(address):
            return address
    return ""


def thread_of(session: Session, message: InboundMessage) -> Ticket | None:
    """The ticket this message answers: its In-Reply-To or References name a message of a
    ticket, or its subject quotes ``[#1234]`` and it comes from an authorized contact of that
    ticket's client."""
    ids = [*message.in_reply_to, *message.references]
    if ids:
        ticket_id = session.scalar(
            select(EmailMessage.ticket_id)
            .where(EmailMessage.message_id.in_(ids), EmailMessage.ticket_id.is_not(None))
            .order_by(EmailMessage.id.desc())
            .limit(1)
        )
        if ticket_id is not None:
            return session.get(Ticket, ticket_id)
    if message.ticket_token is None:
        return None
    ticket = session.scalar(select(Ticket).where(Ticket.number == message.ticket_token))
    contact = sender(session, message.from_address)
    if ticket is None or contact is None or not contact.authorized:
        return None
    return ticket if ticket.client_id == contact.client_id else None


def sender(session: Session, address: str) -> Contact | None:
    """The directory's contact with this email address (any case), authorized ones first."""
    return session.scalars(
        select(Contact)
        .where(func.lower(Contact.email) == address.lower())
        .order_by(Contact.authorized.desc(), Contact.id)
        .limit(1)
    ).first()


def line_of(message: InboundMessage, boxes: Mailboxes) -> Line:
    """Urgent when written to the urgent address (To, Cc or Delivered-To); else regular."""
    return Line.URGENT if boxes.urgent in message.recipients else Line.REGULAR


def _automatic(row: EmailMessage, ticket: Ticket | None, reason: str) -> Intake:
    row.outcome, row.automatic = Outcome.AUTOMATIC.value, reason
    if ticket is None:
        return Intake(Outcome.AUTOMATIC, message_id=row.message_id)
    row.ticket_id = ticket.id
    tickets.note(ticket, TicketEventKind.EMAIL_IN, email_id=row.id, automatic=reason)
    return Intake(Outcome.AUTOMATIC, ticket.number, row.message_id)


def _answer_opens_a_new_ticket(
    session: Session, ticket: Ticket, contact: Contact | None, reopen_within: timedelta
) -> bool:
    """An authorized contact of the ticket's client answering a ticket that is closed, or
    resolved longer ago than the window: the request is new, and gets a ticket of its own
    (a note on the old one says so) rather than a line nobody reads."""
    if ticket.to_verify or ticket.status == TicketStatus.OPEN:
        return False
    if contact is None or not contact.authorized or contact.client_id != ticket.client_id:
        return False
    return not tickets.may_reopen_by_answer(ticket, current_time(session), reopen_within)


def _reply(
    session: Session,
    hours: BusinessHours,
    row: EmailMessage,
    ticket: Ticket,
    message: InboundMessage,
    reopen_within: timedelta,
) -> Intake:
    """A message on a ticket: added to it, a resolved one reopened within the window (by the
    client's own people), whoever handles it told. Never a second acknowledgement."""
    row.outcome, row.ticket_id = Outcome.REPLY.value, ticket.id
    tickets.note(ticket, TicketEventKind.EMAIL_IN, email_id=row.id, sender=message.from_address)
    if ticket.to_verify:
        return Intake(Outcome.REPLY, ticket.number, row.message_id)
    now = current_time(session)
    reopens = tickets.may_reopen_by_answer(ticket, now, reopen_within)
    if reopens:
        # Only an authorized contact of the client gets here (``take``): a third party is
        # a message to verify, and reopens nothing.
        tickets.reopen(ticket, None, email_from=message.from_address)
    staff = (
        [ticket.assignee_id]
        if ticket.assignee_id
        else business_time.people_on_duty(session, hours, ticket.priority, current_time(session))
    )
    notice = tasks.Notice.REOPENED if reopens else tasks.Notice.EMAIL
    tasks.notify(session, ticket.id, staff, notice, occasion=f"email-{row.id}", email_id=row.id)
    return Intake(Outcome.REPLY, ticket.number, row.message_id)


def _new_ticket(
    session: Session,
    hours: BusinessHours,
    row: EmailMessage,
    message: InboundMessage,
    contact: Contact,
    line: Line,
    *,
    follows: Ticket | None = None,
) -> Intake:
    """An authorized contact's request: a ticket with the line's promise, the technicians on
    duty told as for a call, and the acknowledgement the policy promises, once they are.
    ``follows``: the closed ticket the client answered, which this one continues."""
    requester = Requester(contact.client_id, contact.id, message.from_address, contact.language)
    opened = tickets.open_ticket(
        session,
        hours,
        requester,
        priority=line,
        channel=Channel.EMAIL,
        subject=message.subject or NO_SUBJECT,
    )
    ticket = opened.ticket
    ticket.description = message.text
    row.outcome, row.ticket_id = Outcome.NEW_TICKET.value, ticket.id
    tickets.note(ticket, TicketEventKind.EMAIL_IN, email_id=row.id, sender=message.from_address)
    if follows is not None:
        tickets.note(ticket, TicketEventKind.FOLLOWS, number=follows.number)
        tickets.note(follows, TicketEventKind.FOLLOWED_BY, number=ticket.number)
    tasks.follow_up(session, ticket.id)
    # The technicians' notice queues the acknowledgement once it has left; this one is there in
    # case that notice never runs (the acknowledgement is one email however often it runs).
    tasks.acknowledge(session, row.id, fallback_at=current_time(session) + ACKNOWLEDGE_AT_LATEST)
    return Intake(Outcome.NEW_TICKET, ticket.number, row.message_id)


def _to_verify(
    session: Session,
    row: EmailMessage,
    message: InboundMessage,
    contact: Contact | None,
    line: Line,
    *,
    claims: Ticket | None = None,
) -> Intake:
    """Somebody the directory does not authorize, or mail the receiving server did not
    authenticate: kept for a supervisor (who sees why), and told politely who may open
    requests (``mail.replies.unauthorized`` decides whether it may be). ``claims``: the
    ticket it answers by its headers, which it is not added to."""
    requester = Requester(
        contact.client_id if contact else None,
        contact.id if contact else None,
        message.from_address,
        contact.language if contact else Language.FR,
    )
    ticket = tickets.open_to_verify(
        session,
        requester,
        priority=line,
        channel=Channel.EMAIL,
        subject=message.subject or NO_SUBJECT,
    )
    ticket.description = message.text
    row.outcome, row.ticket_id = Outcome.TO_VERIFY.value, ticket.id
    claimed = {"claims": claims.number} if claims is not None else {}
    tickets.note(
        ticket, TicketEventKind.EMAIL_IN, email_id=row.id, sender=message.from_address, **claimed
    )
    tasks.answer_unauthorized(session, row.id)
    return Intake(Outcome.TO_VERIFY, ticket.number, row.message_id)
