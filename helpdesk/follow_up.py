"""What a new support ticket sets going: notices to the people on duty, the SLA watch, the
escalation. Planned by a job, so the phone line's webhooks only write one outbox row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk import business_time, calllog, tasks
from helpdesk.context import Context
from helpdesk.tickets import note
from models import (
    Call,
    CallRing,
    Channel,
    Line,
    Ticket,
    TicketEventKind,
    WhisperAnswer,
    current_time,
)
from routing import sla

# A technician who accepted a CATA call may talk with the client longer than the safety net
# waits: the safety net is put off while the call goes on, up to a point.
STILL_TALKING_RECHECK = timedelta(minutes=10)


def follow_up(context: Context, ticket_id: int, since: str | None = None, round_: int = 0) -> None:
    """Job: plan a new support ticket's notices (once, however often it runs).

    The people told are the ones rung for it (a CATA call nobody took), otherwise whoever was
    on duty for its line when its promise started. A ticket whose client was already reached
    (a technician took the CATA call) needs none.
    """
    with context.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or ticket.to_verify:
            return
        if ticket.channel == Channel.PHONE:  # every ticket gets a written trace
            tasks.confirm_by_email(session, ticket.id)
        if ticket.first_response_at is not None:
            return
        if _a_technician_is_talking(session, ticket):
            later = current_time(session) + STILL_TALKING_RECHECK
            tasks.follow_up(session, ticket.id, safety_net_at=later, round_=round_ + 1)
            return
        start = datetime.fromisoformat(since) if since else ticket.created_at
        staff_ids = _rung(session, ticket) or business_time.people_on_duty(
            session, context.hours, ticket.priority, start
        )
        plan(session, context, ticket, staff_ids, start)


def _a_technician_is_talking(session: Session, ticket: Ticket) -> bool:
    """A call of the ticket, not ended, that a technician accepted: its end will say whether
    the client was reached."""
    talking = session.scalar(
        select(Call.id)
        .join(CallRing, CallRing.call_id == Call.id)
        .where(
            Call.ticket_id == ticket.id,
            Call.ended_at.is_(None),
            Call.started_at > current_time(session) - calllog.LONGEST_CALL,
            CallRing.answer == WhisperAnswer.ACCEPTED,
        )
        .limit(1)
    )
    return talking is not None


def _rung(session: Session, ticket: Ticket) -> list[int]:
    """The technicians rung by the calls of an urgent ticket, in ring order."""
    if ticket.priority != Line.URGENT:
        return []
    rings = session.scalars(
        select(CallRing.staff_member_id)
        .join(Call, Call.id == CallRing.call_id)
        .where(Call.ticket_id == ticket.id)
        .order_by(CallRing.call_id, CallRing.position)
    )
    return list(dict.fromkeys(rings))


def plan(
    session: Session, context: Context, ticket: Ticket, staff_ids: Sequence[int], start: datetime
) -> None:
    """Notify the people on duty, watch the deadline, and (urgent) escalate; once per ticket.

    A call's notices go out at the line's next opening outside its hours, not at night, unless
    URGENT_PAGE_AFTER_HOURS asks for urgent pages at once. An emailed request's go at once, at
    any hour, email and page: its acknowledgement (queued once they have left) says staff were
    told by both, and the page carries the deadline, so nobody gets up at night for a ticket
    due tomorrow.
    """
    hours = context.hours
    rule = hours.line(ticket.priority.value)
    calendar = business_time.calendar_for(session, hours, rule.schedule, start)
    status = calendar.status(start)
    page_now = (
        status.is_open
        or ticket.channel == Channel.EMAIL
        or (ticket.priority == Line.URGENT and context.settings.urgent_page_after_hours)
    )
    run_at = start if page_now else status.opens_at
    first_time = tasks.notify(session, ticket.id, staff_ids, tasks.Notice.NEW, run_at=run_at)
    if rule.warn_before and ticket.sla_due_at is not None:
        warn_at = sla.deadline(calendar, start, rule.callback_within - rule.warn_before)
        tasks.sla_watch(session, ticket.id, ticket.sla_due_at, warn_at)
    if rule.escalate_after:
        tasks.escalate(session, ticket.id, sla.deadline(calendar, start, rule.escalate_after))
    if first_time:  # a second run finds the notice's key taken, and notes nothing again
        note(
            ticket,
            TicketEventKind.FOLLOW_UP_QUEUED,
            staff_ids=list(staff_ids),
            at_opening=not page_now,
        )
