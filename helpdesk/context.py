"""What the helpdesk runs against: settings, the database, business hours, the staff texts and
the texts for clients.

Built once by whoever runs: ``create_app`` keeps the web app's in ``app.extensions``, the worker
builds its own at start-up, tests build theirs. Nothing here is a module global.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from twilio.http import HttpClient

import i18n
from models import Clock, utcnow
from models.db import make_engine, make_session_factory
from routing import config as business_hours
from routing.config import BusinessHours
from settings import Settings
from storage import files
from storage.bucket import Bucket

NOTICES_FILE = Path(__file__).with_name("notices.toml")
CLIENT_MAIL_FILE = Path(__file__).with_name("client_mail.toml")

# Every staff text the helpdesk sends, with the placeholders it fills in.
_TICKET = "client contact due files line link message number opened phone"
NOTICE_TEXTS = i18n.keys(
    line_regular="",
    line_urgent="",
    unknown="",
    none="",
    ticket_subject="client line number",
    ticket_body=_TICKET,
    ticket_sms="client contact due line link number phone",
    addition_subject="client number",
    addition_body="line link message number",
    sla_warning_subject="client number",
    sla_warning_body="client due line number",
    sla_warning_sms="client due number",
    sla_late_subject="client number",
    sla_late_body="client due line number",
    sla_late_sms="client due number",
    escalation_subject="client number",
    escalation_body="client contact due number phone",
    escalation_sms="client due number",
    verify_subject="line number",
    verify_body="account client contact line link message phone",
    verify_email_body="address client line link message subject",
    held_subject="number",
    held_body="link number reason recipient",
    held_burst="",
    held_repeated="",
    refused_subject="client number",
    refused_body="client contact link number phone reason recipient reply text what",
    failure_recipient_refused="",
    failure_sender_refused="",
    failure_message_refused="",
    failure_number_refused="",
    failure_refused="",
    unhappy_subject="number score",
    unhappy_body="client comment contact link number score",
    email_subject="client number",
    reopened_subject="client number",
    email_body="excerpt files line link number sender subject",
    email_files="names",
    size_bytes="n",
    size_kb="n",
    size_mb="n",
    voice_message="seconds",
    pager_help="",
    pager_taken="client number",
    pager_already_yours="number",
    pager_taken_by_other="name number",
    pager_no_ticket="number",
    pager_not_yours="number",
    pager_off="",
    pager_on="",
    pager_status="count tickets",
    pager_status_ticket="client due line number",
    pager_status_none="",
    pager_line_regular="",
    pager_line_urgent="",
    taken_sms="client name number",
    bank_low_subject="client",
    bank_low_body="address balance client threshold",
    bank_low_staff_body="balance client threshold",
    bank_empty_subject="client",
    bank_empty_body="address client",
    bank_empty_staff_body="client",
)

# Every text the helpdesk emails to clients' contacts, with the placeholders it fills in.
CLIENT_TEXTS = i18n.keys(
    ticket_subject="number subject",
    phone_subject="",
    no_subject="",
    ack_regular="",
    ack_urgent="",
    ticket_facts="due number",
    unauthorized_subject="",
    unauthorized_body="",
    confirm_body="due line number",
    confirm_answered_body="line name number time",
    set_aside="address files limit number",
    notice_body="number what",
    notice_callback="number",
    notice_callback_no_answer="number",
    notice_callback_voicemail="number",
    note_body="name note number",
    notice_resolved="number",
    notice_closed="number",
    notice_reopened="number",
    notice_time_entry="number",
    work_intro="number",
    work_corrected_intro="number",
    work_when="when",
    work_span="day end start",
    work_span_days="day end end_day start",
    work_what="category where",
    work_training="",
    work_change_request="",
    work_phone="",
    work_onsite="",
    work_by="name",
    work_worked="minutes",
    work_billed="minutes",
    work_bank_paid="minutes",
    work_outside_not_bankable="minutes",
    work_outside_bank_empty="minutes",
    work_balance="minutes",
    work_travel="minutes",
    work_expenses="amount",
    survey_body="days if_unsolved link number summary",
    resolution_summary="summary",
    unsolved_reopens="reopen",
    unsolved_new_ticket="",
    line_regular="",
    line_urgent="",
    at="day time",
)


@dataclass(frozen=True)
class Context:
    settings: Settings
    sessions: sessionmaker[Session]
    hours: BusinessHours
    notices: i18n.Catalog
    client_texts: i18n.Catalog
    # Twilio's REST API is reached through this client; None means twilio's own (the network).
    # Tests put a recorder here.
    twilio_http: HttpClient | None = None
    # What the helpdesk takes for "now": the host's clock, or a simulation's (``with_clock``).
    clock: Clock = utcnow
    # FILE_STORAGE=s3: the bucket new files go to; None: the database.
    bucket: Bucket | None = None

    @property
    def files(self) -> files.Store:
        """The files every host reaches (recordings)."""
        return files.Store(self.sessions, self.bucket)

    def now(self) -> datetime:
        return self.clock()

    @property
    def engine(self) -> Engine:
        """The database engine, and its pool: this context's own."""
        bind = self.sessions.kw["bind"]
        engine: Engine = bind.engine if hasattr(bind, "engine") else bind
        return engine

    def after_fork(self) -> None:
        """In a process forked from the one that built this context (gunicorn's preloaded app):
        its own connections from now on, the parent's left untouched."""
        self.engine.dispose(close=False)

    def close(self) -> None:
        """Close the pool's connections (the end of a command, a test)."""
        self.engine.dispose()

    def with_clock(self, clock: Clock) -> Context:
        """This context, telling time by ``clock``: its sessions too (same engine and pool)."""
        engine = self.sessions.kw["bind"]
        return self.replace(clock=clock, sessions=make_session_factory(engine, clock))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back if it raises."""
        with self.sessions.begin() as session:
            yield session

    def replace(self, **changes: Any) -> Context:
        return dataclasses.replace(self, **changes)


def load_notices(path: Path | None = None) -> i18n.Catalog:
    """The staff texts, checked against what the helpdesk sends."""
    return i18n.load(path or NOTICES_FILE, NOTICE_TEXTS)


def build(settings: Settings, sessions: sessionmaker[Session] | None = None) -> Context:
    """Load and check everything the helpdesk needs; a bad file stops here, naming what."""
    hours = business_hours.load(settings.business_hours_file or None, settings.timezone)
    hours.warm_up(utcnow().year)
    return Context(
        settings=settings,
        sessions=sessions or make_session_factory(make_engine(settings.database_url)),
        hours=hours,
        notices=load_notices(),
        client_texts=i18n.load(CLIENT_MAIL_FILE, CLIENT_TEXTS),
        bucket=Bucket.from_settings(settings) if settings.file_storage == "s3" else None,
    )
