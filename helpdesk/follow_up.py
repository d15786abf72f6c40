"""What a new support ticket sets going: notices to the people on duty, the SLA watch, the
escalation. Planned by a job, so the phone line's webhooks only write one outbox row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from helpdesk import business_time
from helpdesk.tickets import note
from models import Line, Ticket
from queueing import outbox, runtime
from routing import sla
from routing.config import BusinessHours
from routing.duty import Unstaffed


def follow_up(ticket_id: int, staff_ids: list[int] | None = None) -> None:
    """RQ job: plan a new support ticket's notices (once, however often it runs).

    ``staff_ids`` are the people already rung for it (the CATA); otherwise, whoever was on duty
    for its line when it was opened.
    """
    with runtime.session() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or ticket.to_verify:
            return
        hours = runtime.business_hours()
        if staff_ids is None:
            staff_ids = people_on_duty(session, hours, ticket.priority, ticket)
        queue_support_follow_up(session, hours, runtime.settings(), ticket, staff_ids)


def people_on_duty(session: Session, hours: BusinessHours, line: Line, ticket: Ticket) -> list[int]:
    try:
        return [p.id for p in business_time.on_duty(session, hours, line.value, ticket.created_at)]
    except Unstaffed:
        return []


def queue_support_follow_up(
    session: Session,
    hours: BusinessHours,
    config: Mapping[str, Any],
    ticket: Ticket,
    staff_ids: list[int],
) -> None:
    """Notify the people on duty, watch the deadline, and (urgent) escalate; once per ticket.

    Outside the line's hours the notices go out at the next opening, not at night, unless
    URGENT_PAGE_AFTER_HOURS asks for urgent pages at once.
    """
    rule = hours.line(ticket.priority.value)
    calendar = business_time.calendar_for(session, hours, rule.schedule, ticket.created_at)
    status = calendar.status(ticket.created_at)
    page_now = status.is_open or (
        ticket.priority == Line.URGENT and config.get("URGENT_PAGE_AFTER_HOURS", False)
    )
    args = {"ticket_id": ticket.id}
    first_time = outbox.add(
        session,
        "ticket.notify",
        {**args, "staff_ids": staff_ids, "notice": "new"},
        key=f"ticket-{ticket.id}-notify",
        run_at=ticket.created_at if page_now else status.opens_at,
    )
    if rule.warn_before:
        warn_at = sla.deadline(calendar, ticket.created_at, rule.callback_within - rule.warn_before)
        outbox.add(
            session, "ticket.sla_watch", args, key=f"ticket-{ticket.id}-sla-watch", run_at=warn_at
        )
    if rule.escalate_after:
        escalate_at = sla.deadline(calendar, ticket.created_at, rule.escalate_after)
        outbox.add(
            session, "ticket.escalate", args, key=f"ticket-{ticket.id}-escalate", run_at=escalate_at
        )
    if first_time:  # a second run finds the notice's key taken, and notes nothing again
        note(ticket, "follow_up_queued", staff_ids=staff_ids, at_opening=not page_now)
