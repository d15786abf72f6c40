"""The helpdesk's tasks, one function each to schedule it: it owns the task's arguments and
its idempotency key, so no caller builds either by hand.

Each writes a row in the caller's transaction (see ``queueing.outbox``) and returns False when
the same task was already written (a twice-sent webhook, a retried job).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from queueing import outbox
from queueing.tasks import define

# Plan what a new support ticket sets going (the notices, the SLA watch, the escalation).
FOLLOW_UP = define("ticket.follow_up", "helpdesk.follow_up.follow_up")
# Tell staff about a ticket (email and SMS), once per person, notice and channel.
NOTIFY = define("ticket.notify", "helpdesk.notify.notify_ticket")
# Warn the supervisors when a ticket nears its deadline without a first response.
SLA_WATCH = define("ticket.sla_watch", "helpdesk.notify.sla_watch")
# Page the supervisors when an urgent ticket is still unanswered.
ESCALATE = define("ticket.escalate", "helpdesk.notify.escalate")
# Tell the supervisors a message from someone not authorized waits for them.
VERIFY = define("ticket.verify", "helpdesk.notify.ask_verification")
# Click-to-call: ring the technician, then bridge to the client.
CALLBACK = define("call.callback", "helpdesk.callbacks.place_callback")


class Notice(StrEnum):
    NEW = "new"
    ADDITION = "addition"


def follow_up(
    session: Session,
    ticket_id: int,
    *,
    since: datetime | None = None,
    safety_net_at: datetime | None = None,
) -> bool:
    """``since``: when the ticket's promise started, if not when it was opened (a settled
    verification). ``safety_net_at``: the follow-up written when the ticket is opened, run then
    unless the call's end ran it before (it may never come: Twilio does not retry a failed
    status callback)."""
    args = {"ticket_id": ticket_id, "since": since.isoformat() if since else None}
    key = f"ticket-{ticket_id}-follow-up" + ("-safety-net" if safety_net_at else "")
    return outbox.add(session, FOLLOW_UP, args, key=key, run_at=safety_net_at)


def notify(
    session: Session,
    ticket_id: int,
    staff_ids: Sequence[int],
    notice: Notice,
    *,
    occasion: str = "",
    run_at: datetime | None = None,
) -> bool:
    """``occasion`` tells apart two notices of one kind (the call that added a message)."""
    name = "notify" if notice == Notice.NEW else notice.value
    key = f"ticket-{ticket_id}-{name}" + (f"-{occasion}" if occasion else "")
    args = {
        "ticket_id": ticket_id,
        "staff_ids": list(staff_ids),
        "notice": notice.value,
        "tag": f"-{occasion}" if occasion else "",
    }
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


def ask_verification(session: Session, ticket_id: int) -> bool:
    args = {"ticket_id": ticket_id}
    return outbox.add(session, VERIFY, args, key=f"ticket-{ticket_id}-verify")


def place_callback(session: Session, request_id: str) -> bool:
    args = {"request_id": request_id}
    return outbox.add(session, CALLBACK, args, key=f"callback-{request_id}")
