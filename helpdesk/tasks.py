"""The helpdesk's tasks, one function each to schedule it: it owns the task's arguments and
its idempotency key, so no caller builds either by hand.

Each writes a row in the caller's transaction (see ``queueing.outbox``) and returns False when
the same task was already written (a twice-sent webhook, a retried job).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session, object_session

from models import Ticket
from queueing import outbox
from queueing.kinds import TaskKind, TaskTable

# Plan what a new support ticket sets going (the notices, the SLA watch, the escalation).
FOLLOW_UP = TaskKind("ticket.follow_up", "helpdesk.follow_up.follow_up")
# Tell staff about a ticket (email and SMS), once per person, notice and channel.
NOTIFY = TaskKind("ticket.notify", "sending.staff_notices.notify_ticket")
# Warn the supervisors when a ticket nears its deadline without a first response.
SLA_WATCH = TaskKind("ticket.sla_watch", "sending.staff_notices.sla_watch")
# Page the supervisors when an urgent ticket is still unanswered.
ESCALATE = TaskKind("ticket.escalate", "sending.staff_notices.escalate")
# Tell the supervisors a message from someone not authorized waits for them.
VERIFY = TaskKind("ticket.verify", "sending.staff_notices.ask_verification")
# Click-to-call: ring the technician, then bridge to the client.
CALLBACK = TaskKind("call.callback", "helpdesk.callbacks.place_callback")
# Acknowledge an authorized contact's email: the policy's text, the ticket and its deadline.
ACKNOWLEDGE = TaskKind("email.acknowledge", "sending.clients.acknowledge")
# Tell the sender of an email that only a client's designated contacts may open requests.
ANSWER_UNAUTHORIZED = TaskKind("email.answer_unauthorized", "sending.clients.answer_unauthorized")
# Email a ticket opened by phone to its contact: its number and deadline, in writing.
CONFIRM_BY_EMAIL = TaskKind("ticket.confirm_by_email", "sending.clients.confirm_ticket")
# Tell the others paged for a ticket that a technician took it by SMS.
TELL_TAKEN = TaskKind("ticket.tell_taken", "pager.commands.tell_taken")
# Email a ticket's contact the notice of one intervention (a callback, a public note...).
NOTIFY_CONTACT = TaskKind("ticket.notify_contact", "sending.clients.send_notice")
# Email a resolved ticket's contact that it is resolved, with the link to its survey.
INVITE_TO_SURVEY = TaskKind("ticket.survey", "sending.clients.invite_to_survey")
# Tell a client's authorized contacts and the supervisors that its hour bank runs low.
BANK_LOW = TaskKind("bank.low", "sending.bank_alerts.alert_low_balance")
# Read stored incoming mail into the helpdesk (the HTTP hook's at once, the others' if missed).
READ_MAIL = TaskKind("email.read", "mail.intake.read_stored")
# Read the IMAP folder's unseen mail into the intake.
POLL_IMAP = TaskKind("email.poll_imap", "mail.imap.poll")
# Copy a caller's message from Twilio into RECORDINGS_DIR (and delete Twilio's, if set).
COPY_RECORDING = TaskKind("recording.copy", "helpdesk.recordings.copy_recording")
# Delete our copies of the messages older than RECORDINGS_KEEP_DAYS (one row an hour at most).
PURGE_RECORDINGS = TaskKind("recording.purge", "helpdesk.recordings.purge_old")
# Forget the ids of the spooled webhooks written back long ago (one row a day at most).
FORGET_REPLAYED = TaskKind("spool.forget_replayed", "helpdesk.replay.forget_old")
# Send one notification a supervisor released (a held answer sent anyway).
DELIVER = TaskKind("notification.deliver", "sending.delivery.deliver_one")
# Tell the supervisors that an answer to a client is held for one of them.
TELL_HELD = TaskKind("notification.tell_held", "sending.staff_notices.tell_held")
# Tell a ticket's assignee (or the supervisors) that a client's mail server refused its email.
TELL_REFUSED = TaskKind("notification.tell_refused", "sending.staff_notices.tell_refused")
# End the calls whose end Twilio never reported, once past the longest call (one row an hour).
END_UNREPORTED_CALLS = TaskKind("call.end_unreported", "helpdesk.unreported_ends.end_overdue")
# Tell the supervisors that a client gave the survey a low score, with their comment.
TELL_UNHAPPY = TaskKind("survey.tell_unhappy", "sending.staff_notices.tell_unhappy")
# Close a resolved ticket the client did not answer within REOPEN_DAYS (internally: nothing sent).
AUTO_CLOSE = TaskKind("ticket.auto_close", "helpdesk.tickets.auto_close")


# Every task this helpdesk writes, and the one job function RQ runs for each row.
TABLE = TaskTable(
    "helpdesk.jobs.run",
    (
        FOLLOW_UP,
        NOTIFY,
        SLA_WATCH,
        ESCALATE,
        VERIFY,
        CALLBACK,
        ACKNOWLEDGE,
        ANSWER_UNAUTHORIZED,
        CONFIRM_BY_EMAIL,
        TELL_TAKEN,
        NOTIFY_CONTACT,
        INVITE_TO_SURVEY,
        BANK_LOW,
        POLL_IMAP,
        READ_MAIL,
        COPY_RECORDING,
        PURGE_RECORDINGS,
        FORGET_REPLAYED,
        DELIVER,
        TELL_HELD,
        TELL_REFUSED,
        AUTO_CLOSE,
        END_UNREPORTED_CALLS,
        TELL_UNHAPPY,
    ),
)


class Notice(StrEnum):
    NEW = "new"
    ADDITION = "addition"
    EMAIL = "email"  # the client wrote on an open ticket
    REOPENED = "reopened"  # the client's email reopened a resolved ticket


def follow_up(
    session: Session,
    ticket_id: int,
    *,
    since: datetime | None = None,
    safety_net_at: datetime | None = None,
    round_: int = 0,
) -> bool:
    """``since``: when the ticket's promise started, if not when it was opened (a settled
    verification). ``safety_net_at``: the follow-up written when the ticket is opened, run then
    unless the call's end ran it before (it may never come: Twilio does not retry a failed
    status callback); ``round_`` counts the safety nets put off while a technician talks."""
    args = {"ticket_id": ticket_id, "since": since.isoformat() if since else None, "round_": round_}
    key = f"ticket-{ticket_id}-follow-up"
    if safety_net_at:
        key += "-safety-net" + (f"-{round_}" if round_ else "")
    return outbox.add(session, FOLLOW_UP, args, key=key, run_at=safety_net_at)


def notify(
    session: Session,
    ticket_id: int,
    staff_ids: Sequence[int],
    notice: Notice,
    *,
    occasion: str = "",
    run_at: datetime | None = None,
    only: str = "",
    email_id: int | None = None,
) -> bool:
    """``occasion`` tells apart two notices of one kind (the call that added a message);
    ``only`` limits it to one channel ("email" or "sms"); ``email_id``: the email it is about."""
    name = "notify" if notice == Notice.NEW else notice.value
    key = f"ticket-{ticket_id}-{name}" + (f"-{occasion}" if occasion else "")
    args: dict[str, object] = {
        "ticket_id": ticket_id,
        "staff_ids": list(staff_ids),
        "notice": notice.value,
        "tag": f"-{occasion}" if occasion else "",
    }
    if only:
        key, args["only"] = f"{key}-{only}", only
    if email_id is not None:
        args["email_id"] = email_id
    return outbox.add(session, NOTIFY, args, key=key, run_at=run_at)


def sla_watch(
    session: Session, ticket_id: int, due: datetime, run_at: datetime, *, moved: bool = False
) -> bool:
    """The watch carries the deadline it watches: a watch of a deadline that moved since (a
    change of priority) does nothing, and the moved deadline gets a watch of its own."""
    args = {"ticket_id": ticket_id, "due": due.isoformat()}
    key = f"ticket-{ticket_id}-sla-watch" + (f"-{int(due.timestamp())}" if moved else "")
    return outbox.add(session, SLA_WATCH, args, key=key, run_at=run_at)


def escalate(session: Session, ticket_id: int, run_at: datetime) -> bool:
    args = {"ticket_id": ticket_id}
    return outbox.add(session, ESCALATE, args, key=f"ticket-{ticket_id}-escalate", run_at=run_at)


def tell_held(session: Session, notification_id: int) -> bool:
    args = {"notification_id": notification_id}
    return outbox.add(session, TELL_HELD, args, key=f"notification-{notification_id}-held")


def tell_refused(session: Session, notification_id: int) -> bool:
    args = {"notification_id": notification_id}
    return outbox.add(session, TELL_REFUSED, args, key=f"notification-{notification_id}-refused")


def ask_verification(session: Session, ticket_id: int) -> bool:
    args = {"ticket_id": ticket_id}
    return outbox.add(session, VERIFY, args, key=f"ticket-{ticket_id}-verify")


def place_callback(session: Session, request_id: str) -> bool:
    args = {"request_id": request_id}
    return outbox.add(session, CALLBACK, args, key=f"callback-{request_id}")


def acknowledge(session: Session, email_id: int, *, fallback_at: datetime | None = None) -> bool:
    """Queued by the technicians' notice once it has left (the acknowledgement says they were
    told); ``fallback_at``: the intake's own, in case that notice never runs (the job is one
    email however often it runs)."""
    args = {"email_id": email_id}
    key = f"email-{email_id}-acknowledge" + ("-fallback" if fallback_at else "")
    return outbox.add(session, ACKNOWLEDGE, args, key=key, run_at=fallback_at)


def answer_unauthorized(session: Session, email_id: int) -> bool:
    args = {"email_id": email_id}
    return outbox.add(session, ANSWER_UNAUTHORIZED, args, key=f"email-{email_id}-unauthorized")


def confirm_by_email(session: Session, ticket_id: int) -> bool:
    args = {"ticket_id": ticket_id}
    return outbox.add(session, CONFIRM_BY_EMAIL, args, key=f"ticket-{ticket_id}-confirm-by-email")


def read_mail(session: Session, inbound_id: int, *, run_at: datetime | None = None) -> bool:
    """Read stored mail at ``run_at`` (now by default): the hook's reading, or the pipe's and
    IMAP's safety net in case their own reading right after storing never ends."""
    args = {"inbound_id": inbound_id}
    return outbox.add(session, READ_MAIL, args, key=_read_mail_key(inbound_id), run_at=run_at)


def mail_read(session: Session, inbound_id: int) -> None:
    """The mail was read: its safety net has nothing left to do."""
    outbox.settle(session, _read_mail_key(inbound_id))


def _read_mail_key(inbound_id: int) -> str:
    return f"inbound-{inbound_id}-read"


def poll_imap(session: Session, slot: int) -> bool:
    """One poll per time slot, however many workers ask for it."""
    return outbox.add(session, POLL_IMAP, {}, key=f"imap-poll-{slot}")


def tell_taken(session: Session, ticket_id: int, staff_member_id: int) -> bool:
    args = {"ticket_id": ticket_id, "staff_member_id": staff_member_id}
    key = f"ticket-{ticket_id}-taken-by-{staff_member_id}"
    return outbox.add(session, TELL_TAKEN, args, key=key)


def notify_contact(
    ticket: Ticket,
    kind: str,
    occasion: str,
    *,
    event_id: int | None = None,
    entry_id: int | None = None,
) -> bool:
    """One notice per intervention: ``occasion`` names it (a history entry, a callback, a time
    entry); ``event_id`` and ``entry_id`` point at what it tells of (a note, a time entry)."""
    session = object_session(ticket)
    assert session is not None, "the ticket must belong to a session"
    args: dict[str, object] = {"ticket_id": ticket.id, "kind": kind, "occasion": occasion}
    if event_id is not None:
        args["event_id"] = event_id
    if entry_id is not None:
        args["entry_id"] = entry_id
    key = f"ticket-{ticket.id}-notice-{occasion}"
    return outbox.add(session, NOTIFY_CONTACT, args, key=key)


def invite_to_survey(session: Session, survey_id: int) -> bool:
    args = {"survey_id": survey_id}
    return outbox.add(session, INVITE_TO_SURVEY, args, key=f"survey-{survey_id}-invitation")


def bank_low(session: Session, client_id: int, transaction_id: int) -> bool:
    """Once per crossing (below the threshold, or to empty): the ledger line that crossed names
    the alert."""
    args = {"client_id": client_id, "transaction_id": transaction_id}
    return outbox.add(session, BANK_LOW, args, key=f"bank-{client_id}-low-{transaction_id}")


def deliver(session: Session, notification_id: int) -> bool:
    args = {"notification_id": notification_id}
    return outbox.add(session, DELIVER, args, key=f"notification-{notification_id}-release")


def auto_close(session: Session, ticket_id: int, resolved_at: datetime, run_at: datetime) -> bool:
    """Carries the resolution it closes: a ticket reopened and resolved again since keeps open
    until its own later closing."""
    args = {"ticket_id": ticket_id, "resolved_at": resolved_at.isoformat()}
    key = f"ticket-{ticket_id}-auto-close-{int(resolved_at.timestamp())}"
    return outbox.add(session, AUTO_CLOSE, args, key=key, run_at=run_at)


def purge_recordings(session: Session, slot: int) -> bool:
    """One purge per time slot, however many workers ask for it."""
    return outbox.add(session, PURGE_RECORDINGS, {}, key=f"recordings-purge-{slot}")


def forget_replayed(session: Session, slot: int) -> bool:
    """One forgetting of old replayed ids per time slot, however many workers ask for it."""
    return outbox.add(session, FORGET_REPLAYED, {}, key=f"replayed-forget-{slot}")


def end_unreported_calls(session: Session, slot: int) -> bool:
    """One look per time slot, however many workers ask for it."""
    return outbox.add(session, END_UNREPORTED_CALLS, {}, key=f"calls-end-unreported-{slot}")


def tell_unhappy(session: Session, survey_id: int) -> bool:
    args = {"survey_id": survey_id}
    return outbox.add(session, TELL_UNHAPPY, args, key=f"survey-{survey_id}-unhappy")


def copy_recording(session: Session, recording_id: int) -> bool:
    args = {"recording_id": recording_id}
    return outbox.add(session, COPY_RECORDING, args, key=f"recording-{recording_id}-copy")
