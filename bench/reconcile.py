"""After the load and the faults: what the callers were told, against what the database holds,
what the SMTP server received and what RQ still holds.

Expected notifications come from the POLICY, not from the outbox: a ticket announced to a
caller on the regular line notifies the first 2 people of the regular on-call order (email and,
when they have a mobile, SMS), an unanswered CATA ticket the 3 people rung, a CATA call a
technician took nobody, and a message to verify the active supervisors (email only), as
docs/phone-line.md, helpdesk/follow_up.py and sending/staff_notices.py say. The on-call order is
the demo directory's.
So a task the app never wrote shows up as missing, which counting the outbox could not show.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from redis import Redis
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.callers import PlacedCall
from bench.harness import DIRECTORY_FILE
from bench.mailbox import mail_key
from directory import entries
from models import (
    Call,
    CallDirection,
    Contact,
    DeliveryState,
    Installation,
    Line,
    Notification,
    NotificationChannel,
    OutboxState,
    OutboxTask,
    Recording,
    Role,
    StaffMember,
    Ticket,
    utcnow,
)
from queueing import outbox
from routing.config import BusinessHours

SAMPLES = 5  # how many of each kind of discrepancy are named


@dataclass
class Expected:
    """What the callers were told, as tickets (by number, or to verify per CallSid)."""

    numbered: dict[int, PlacedCall] = field(default_factory=dict)
    to_verify: dict[str, PlacedCall] = field(default_factory=dict)
    # A message saved after the apology: an authorized caller's opens their support ticket,
    # anybody else's is a ticket to verify (helpdesk.phone.message_left).
    after_error: dict[str, PlacedCall] = field(default_factory=dict)


def expectations(calls: list[PlacedCall]) -> Expected:
    expected = Expected()
    for call in calls:
        for number in call.ticket_numbers:
            expected.numbered[number] = call
        if call.will_verify:  # "We will review your message"
            expected.to_verify[call.call_sid] = call
        elif call.message_saved and not call.ticket_numbers:
            expected.after_error[call.call_sid] = call
    return expected


@dataclass
class Policy:
    """Who gets told, by the business-hours file and the demo directory, as staff ids."""

    on_call: dict[Line, list[int]]  # the first `notify` people of each line's order
    supervisors: list[int]
    mobiles: set[int]
    contacts_with_email: set[int]  # whose phone tickets are confirmed by email

    @classmethod
    def load(cls, session: Session, hours: BusinessHours) -> Policy:
        ids = {m.email: m.id for m in session.scalars(select(StaffMember))}
        staff = entries.parse(DIRECTORY_FILE.read_text()).staff
        active = [s for s in staff if s.active]
        on_call = {
            line: [ids[s.email] for s in active if line in s.duty][: hours.line(line.value).notify]
            for line in Line
        }
        supervisors = sorted(ids[s.email] for s in active if s.role == Role.SUPERVISOR)
        emailed = set(session.scalars(select(Contact.id).where(Contact.email.is_not(None))))
        return cls(on_call, supervisors, {ids[s.email] for s in active if s.mobile}, emailed)

    def notices(self, ticket: Ticket, connected: bool) -> set[str]:
        """The notification keys this ticket must have produced."""
        if ticket.to_verify:
            return {f"ticket-{ticket.id}-verify-{who}-email" for who in self.supervisors}
        if connected:  # a technician took the CATA call: nobody is paged (and the confirmation
            return set()  # comes with the safety net, ten minutes later: after the run)
        keys = set()
        if ticket.contact_id in self.contacts_with_email:  # every phone ticket, written down
            keys.add(f"ticket-{ticket.id}-confirmation")
        for who in self.on_call[ticket.priority]:
            keys.add(f"ticket-{ticket.id}-new-{who}-email")
            if who in self.mobiles:
                keys.add(f"ticket-{ticket.id}-new-{who}-sms")
        return keys


def outbox_keys(ticket: Ticket, connected: bool) -> set[str]:
    """The outbox rows this ticket must have produced (helpdesk/tasks.py names them)."""
    if ticket.to_verify:
        return {f"ticket-{ticket.id}-verify"}
    # Written when the ticket opens: the safety net (ten minutes later: after the run).
    keys = {f"ticket-{ticket.id}-follow-up-safety-net"}
    if connected:
        return keys
    kinds = ("follow-up", "notify", "sla-watch", "confirm-by-email")
    keys |= {f"ticket-{ticket.id}-{kind}" for kind in kinds}
    if ticket.priority == Line.URGENT:
        keys.add(f"ticket-{ticket.id}-escalate")
    return keys


@dataclass
class Tally:
    """One reconciled quantity: how many expected, how many found, and samples of what's off."""

    expected: int = 0
    found: int = 0
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    note: str = ""  # what the reader needs to read the figures

    @property
    def matches(self) -> bool:
        return self.expected == self.found and not self.missing and not self.unexpected

    def line(self) -> str:
        text = f"expected {self.expected}, found {self.found}"
        text += f", missing {len(self.missing)}, unexpected {len(self.unexpected)}"
        text += f" ({self.note})" if self.note else ""
        return text + _samples("missing", self.missing) + _samples("unexpected", self.unexpected)


def _samples(label: str, items: list[str]) -> str:
    return f"\n      {label}: {', '.join(items[:SAMPLES])}" if items else ""


@dataclass
class Stored:
    """The run's rows, read once after the drain."""

    calls: dict[str, Call]
    tickets: dict[int, Ticket]  # by id
    notifications: dict[str, Notification]  # by key
    outbox: list[OutboxTask]
    installation: str
    recordings: list[int]  # each message kept, whose copy from Twilio is a task

    @classmethod
    def read(cls, session: Session) -> Stored:
        calls = session.scalars(select(Call).where(Call.direction == CallDirection.INBOUND))
        return cls(
            calls={c.call_sid: c for c in calls},
            tickets={t.id: t for t in session.scalars(select(Ticket))},
            notifications={n.key: n for n in session.scalars(select(Notification))},
            outbox=list(session.scalars(select(OutboxTask).order_by(OutboxTask.id))),
            installation=session.scalars(select(Installation.key)).one(),
            recordings=list(session.scalars(select(Recording.id))),
        )


def reconcile_calls(calls: list[PlacedCall], stored: Stored) -> Tally:
    """Every call that got at least one answer from the app must be in the call log."""
    answered = [c for c in calls if c.call_sid and any(_answered(r.verdict) for r in c.requests)]
    tally = Tally(expected=len(answered))
    lost = [c for c in answered if c.call_sid not in stored.calls]
    tally.missing = [f"{c.call_sid[:14]}… ({c.scenario})" for c in lost]
    tally.found = len(answered) - len(lost)
    apology_only = sum(1 for c in lost if all(r.verdict != "twiml" for r in c.requests))
    if lost:
        tally.note = f"{apology_only} of the missing got only the apology: database away"
    placed = {c.call_sid for c in calls}
    tally.unexpected = [sid for sid in stored.calls if sid not in placed]
    return tally


def _answered(verdict: str) -> bool:
    return verdict != "transport_error"


@dataclass
class TicketMatch:
    """Stored tickets matched to what callers were told, with whether a technician took it."""

    tally: Tally
    matched: list[tuple[Ticket, bool]]  # (ticket, connected)


def reconcile_tickets(expected: Expected, stored: Stored) -> TicketMatch:
    by_number = {t.number: t for t in stored.tickets.values()}
    tally = Tally(
        expected=len(expected.numbered) + len(expected.to_verify) + len(expected.after_error)
    )
    matched: list[tuple[Ticket, bool]] = []
    for number, call in expected.numbered.items():
        ticket = by_number.get(number)
        if ticket is None or ticket.to_verify:
            tally.missing.append(f"#{number} ({call.scenario})")
        else:
            matched.append((ticket, call.connected))
    for sid, call in expected.to_verify.items():
        row = stored.calls.get(sid)
        ticket = stored.tickets.get(row.ticket_id) if row and row.ticket_id else None
        if ticket is None or not ticket.to_verify:
            tally.missing.append(f"to verify for {sid[:10]}… ({call.scenario})")
        else:
            matched.append((ticket, False))
    for sid, call in expected.after_error.items():
        row = stored.calls.get(sid)
        ticket = stored.tickets.get(row.ticket_id) if row and row.ticket_id else None
        if ticket is None or ticket.to_verify != (call.scenario == "anonymous"):
            tally.missing.append(f"message after the apology for {sid[:10]}… ({call.scenario})")
        else:
            matched.append((ticket, False))
    tally.found = len(matched)
    seen = {ticket.id for ticket, _ in matched}
    tally.unexpected = [
        f"#{t.number}{' (to verify)' if t.to_verify else ''}"
        for t in stored.tickets.values()
        if t.id not in seen
    ]
    return TicketMatch(tally, matched)


@dataclass
class NotificationCheck:
    tally: Tally
    not_sent: Counter[str]  # expected rows written but not sent, by state
    sms_sent: int
    client_mail_held: int  # any email to a client held (as a mail loop): none is expected


def reconcile_notifications(
    tickets: TicketMatch, stored: Stored, policy: Policy
) -> NotificationCheck:
    """Counted for the stored tickets; a ticket that is not even stored is missing above."""
    wanted: set[str] = set()
    for ticket, connected in tickets.matched:
        wanted |= policy.notices(ticket, connected)
    rows = stored.notifications
    # Sent (or written to the log, where no SMTP server is set). Nothing a caller was promised
    # may be held: a held row counts as not sent, and is named in not_sent.
    done = (DeliveryState.SENT, DeliveryState.LOGGED)
    sent = {key for key in wanted if key in rows and rows[key].state in done}
    tally = Tally(expected=len(wanted), found=len(sent))
    tally.missing = sorted(wanted - sent)
    tally.unexpected = sorted(key for key in rows if key not in wanted)
    not_sent = Counter(rows[k].state.value for k in wanted - sent if k in rows)
    sms = sum(1 for n in rows.values() if n.channel == NotificationChannel.SMS and n.state in done)
    held = sum(
        1 for n in rows.values() if n.staff_member_id is None and n.state == DeliveryState.HELD
    )
    return NotificationCheck(tally, not_sent, sms, held)


@dataclass
class MailCheck:
    rows_sent: int  # email notifications the database says were sent
    received: int  # messages the SMTP server received (one per recipient)
    duplicates: int  # a (recipient, subject) received more often than it has rows
    lost: int  # rows marked sent whose message never arrived
    unmatched: int  # messages that match no email notification at all
    unrecorded: int  # received, but the row is not marked sent (a worker died after sending)


def reconcile_mail(stored: Stored, received: Counter[tuple[str, str]]) -> MailCheck:
    rows: Counter[tuple[str, str]] = Counter()
    sent: Counter[tuple[str, str]] = Counter()
    for row in stored.notifications.values():
        if row.channel == NotificationChannel.EMAIL:
            pair = mail_key(row.recipient, row.subject)
            rows[pair] += 1
            sent[pair] += row.state == DeliveryState.SENT
    return MailCheck(
        rows_sent=sum(sent.values()),
        received=sum(received.values()),
        duplicates=sum(max(0, n - rows[p]) for p, n in received.items() if p in rows),
        lost=sum(max(0, n - received[p]) for p, n in sent.items()),
        unmatched=sum(n for p, n in received.items() if p not in rows),
        unrecorded=sum(max(0, min(received[p], rows[p]) - sent[p]) for p in rows),
    )


@dataclass
class OutboxCheck:
    tally: Tally  # expected rows (by key) against rows present
    total: int
    done: int
    due_not_done: Counter[str]  # "task state (RQ: status)" of rows due and not done
    scheduled: int  # rows due after the run (SLA watches, escalations)
    scheduled_waiting: int  # of which the outbox holds as pending rows, the only schedule
    scheduled_lost: list[str]


def reconcile_outbox(
    tickets: TicketMatch, stored: Stored, redis: Redis, queue_prefix: str, now: datetime
) -> OutboxCheck:
    wanted: set[str] = set()
    for ticket, connected in tickets.matched:
        wanted |= outbox_keys(ticket, connected)
    wanted |= {f"recording-{recording}-copy" for recording in stored.recordings}
    keys = {row.key for row in stored.outbox if row.key}
    tally = Tally(expected=len(wanted), found=len(wanted & keys))
    tally.missing = sorted(wanted - keys)
    tally.unexpected = sorted(keys - wanted)
    due = [r for r in stored.outbox if r.run_at <= now]
    later = [r for r in stored.outbox if r.run_at > now and r.state != OutboxState.DONE]
    lost = [f"{r.key} ({r.state.value})" for r in later if r.state != OutboxState.PENDING]
    return OutboxCheck(
        tally=tally,
        total=len(stored.outbox),
        done=sum(1 for r in stored.outbox if r.state == OutboxState.DONE),
        due_not_done=Counter(
            f"{r.task} {r.state.value} (RQ: {_rq_status(redis, stored.installation, r)})"
            for r in due
            if r.state != OutboxState.DONE
        ),
        scheduled=len(later),
        scheduled_waiting=len(later) - len(lost),
        scheduled_lost=lost,
    )


def _rq_status(redis: Redis, installation: str, row: OutboxTask) -> str:
    """Where RQ has the row's job: failed, queued, started, or gone (the relay's rescue should
    hand it again)."""
    try:
        job = Job.fetch(outbox.job_id(installation, row.id), connection=redis)
        status = job.get_status()
        return str(getattr(status, "value", status))
    except NoSuchJobError:
        return "gone"
    except Exception:  # Redis not answering
        return "unknown"


def due_not_done(session: Session) -> int:
    """Outbox rows that are due and not done: the drain waits for none."""
    rows = session.scalars(
        select(OutboxTask.id).where(
            OutboxTask.state != OutboxState.DONE, OutboxTask.run_at <= utcnow()
        )
    ).all()
    return len(rows)
