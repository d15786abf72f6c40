"""The helpdesk's acts on a ticket, as every door (phone, email, console) calls them."""

from __future__ import annotations

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from helpdesk import tickets
from helpdesk.context import Context
from helpdesk.ticket_rules import TicketStateError
from helpdesk.tickets import Requester
from models import (
    Channel,
    Contact,
    Language,
    Line,
    OutboxTask,
    StaffMember,
    Ticket,
    TicketEventKind,
    TicketStatus,
)
from tests.mailing import REOPEN
from tests.phone import at, helpdesk


@pytest.fixture
def context(phone_app: Flask) -> Context:
    return helpdesk(phone_app)


def _marie(db: Session) -> Contact:
    return db.scalars(select(Contact).where(Contact.name == "Marie Tremblay")).one()


def _luc(db: Session) -> StaffMember:
    return db.scalars(select(StaffMember).where(StaffMember.name == "Luc Gagnon")).one()


def _open(db: Session, context: Context, line: Line = Line.REGULAR) -> Ticket:
    marie = _marie(db)
    requester = Requester(marie.client_id, marie.id, "+15145550101", Language.FR)
    opened = tickets.open_ticket(
        db, context.hours, requester, priority=line, channel=Channel.EMAIL, subject="Sage 50"
    )
    db.commit()
    return opened.ticket


def _kinds(db: Session, ticket: Ticket) -> list[TicketEventKind]:
    db.expire_all()
    return [event.kind for event in ticket.events]


def test_a_ticket_opened_in_business_hours_is_due_within_the_lines_promise(
    db: Session, context: Context
) -> None:
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        ticket = _open(db, context)
    assert (ticket.number, ticket.sla_due_at) == (1001, at(2026, 12, 1, 14))
    assert _kinds(db, ticket) == [TicketEventKind.OPENED]


def test_a_change_to_urgent_counts_the_urgent_promise_from_the_change(
    db: Session, context: Context
) -> None:
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        ticket = _open(db, context)
    with time_machine.travel(at(2026, 12, 1, 11), tick=False):
        tickets.change_priority(
            db, context.hours, ticket, Line.URGENT, reason="server down", staff_member_id=None
        )
        db.commit()
    assert (ticket.priority, ticket.sla_due_at) == (Line.URGENT, at(2026, 12, 1, 12))
    assert _kinds(db, ticket)[-1] == TicketEventKind.PRIORITY_CHANGED
    watches = db.scalars(select(OutboxTask).where(OutboxTask.task == "ticket.sla_watch")).all()
    assert [w.run_at for w in watches] == [at(2026, 12, 1, 11, 45)]


def test_a_ticket_made_urgent_is_the_urgent_teams_and_escalates_if_unanswered(
    db: Session, context: Context
) -> None:
    with time_machine.travel(at(2026, 12, 1, 10), tick=False):
        ticket = _open(db, context)
    with time_machine.travel(at(2026, 12, 1, 11), tick=False):
        tickets.change_priority(
            db, context.hours, ticket, Line.URGENT, reason="server down", staff_member_id=None
        )
        db.commit()
    rows = {row.task: row for row in db.scalars(select(OutboxTask))}
    assert len(rows["ticket.notify"].args["staff_ids"]) == 3  # the urgent team
    assert rows["ticket.escalate"].run_at == at(2026, 12, 1, 11, 20)


def test_a_ticket_made_urgent_near_its_deadline_keeps_the_earlier_one(
    db: Session, context: Context
) -> None:
    with time_machine.travel(at(2026, 12, 1, 9), tick=False):
        ticket = _open(db, context)  # due at 13:00
    with time_machine.travel(at(2026, 12, 1, 12, 45), tick=False):
        tickets.change_priority(
            db, context.hours, ticket, Line.URGENT, reason="worse", staff_member_id=None
        )
    assert ticket.sla_due_at == at(2026, 12, 1, 13)  # not 13:45


def test_a_change_of_priority_needs_a_reason(db: Session, context: Context) -> None:
    ticket = _open(db, context)
    with pytest.raises(ValueError, match="reason"):
        tickets.change_priority(
            db, context.hours, ticket, Line.URGENT, reason=" ", staff_member_id=None
        )


def test_resolve_then_close_then_reopen(db: Session, context: Context) -> None:
    ticket, luc = _open(db, context), _luc(db)
    tickets.resolve(ticket, luc.id, reopen_within=REOPEN)
    tickets.close(ticket, luc.id, reopen_within=REOPEN)
    assert ticket.status == TicketStatus.CLOSED and ticket.closed_at is not None
    tickets.reopen(ticket, luc.id, why="the client wrote again")
    db.commit()
    assert [ticket.status, ticket.resolved_at, ticket.closed_at] == [TicketStatus.OPEN, None, None]
    assert _kinds(db, ticket)[-3:] == [
        TicketEventKind.RESOLVED,
        TicketEventKind.CLOSED,
        TicketEventKind.REOPENED,
    ]


def test_a_closed_ticket_cannot_be_resolved_and_says_why(db: Session, context: Context) -> None:
    ticket, luc = _open(db, context), _luc(db)
    tickets.close(ticket, luc.id, reopen_within=REOPEN)
    with pytest.raises(TicketStateError, match="ticket 1001 is closed: cannot resolve it"):
        tickets.resolve(ticket, luc.id, reopen_within=REOPEN)


def test_closing_an_open_ticket_resolves_it_first_for_the_client(
    db: Session, context: Context
) -> None:
    ticket, luc = _open(db, context), _luc(db)
    tickets.close(ticket, luc.id, reopen_within=REOPEN)
    db.commit()
    assert ticket.resolved_at == ticket.closed_at
    assert _kinds(db, ticket)[-2:] == [TicketEventKind.RESOLVED, TicketEventKind.CLOSED]


def test_a_resolved_ticket_nobody_reopens_closes_by_itself_after_the_window_sending_nothing(
    db: Session, context: Context
) -> None:
    ticket, luc = _open(db, context), _luc(db)
    with time_machine.travel(at(2026, 12, 1, 11), tick=False):
        tickets.resolve(ticket, luc.id, reopen_within=REOPEN)
        db.commit()
    closing = db.scalars(select(OutboxTask).where(OutboxTask.task == "ticket.auto_close")).one()
    assert closing.run_at == at(2026, 12, 15, 11)
    before = db.scalar(select(func.count(OutboxTask.id)))
    with time_machine.travel(at(2026, 12, 15, 11), tick=False):
        tickets.auto_close(context, ticket.id, closing.args["resolved_at"])
    db.expire_all()
    assert db.get(Ticket, ticket.id).status == TicketStatus.CLOSED  # type: ignore[union-attr]
    assert db.scalar(select(func.count(OutboxTask.id))) == before  # no notice, no survey


def test_a_ticket_reopened_since_is_not_closed_by_its_old_resolution(
    db: Session, context: Context
) -> None:
    ticket, luc = _open(db, context), _luc(db)
    with time_machine.travel(at(2026, 12, 1, 11), tick=False):
        tickets.resolve(ticket, luc.id, reopen_within=REOPEN)
        db.commit()
    first = db.scalars(select(OutboxTask).where(OutboxTask.task == "ticket.auto_close")).one()
    tickets.reopen(ticket, luc.id, why="encore")
    db.commit()
    tickets.auto_close(context, ticket.id, first.args["resolved_at"])
    db.expire_all()
    assert db.get(Ticket, ticket.id).status == TicketStatus.OPEN  # type: ignore[union-attr]


def test_the_first_response_is_kept_once(db: Session, context: Context) -> None:
    ticket, luc = _open(db, context), _luc(db)
    assert tickets.first_response(ticket, at(2026, 12, 1, 10, 30), luc.id) is True
    assert tickets.first_response(ticket, at(2026, 12, 1, 11), luc.id) is False
    assert ticket.first_response_at == at(2026, 12, 1, 10, 30)


def test_a_note_is_public_or_private_and_never_empty(db: Session, context: Context) -> None:
    ticket, luc = _open(db, context), _luc(db)
    tickets.add_note(ticket, luc.id, "Rappel fait, licence réactivée.", public=True)
    db.commit()
    note = [e for e in ticket.events if e.kind == TicketEventKind.NOTE][-1]
    assert note.data == {"text": "Rappel fait, licence réactivée.", "public": True}
    with pytest.raises(ValueError, match="text"):
        tickets.add_note(ticket, luc.id, "   ", public=False)


def test_a_message_to_verify_settled_becomes_a_ticket_promised_from_then(
    db: Session, context: Context
) -> None:
    with time_machine.travel(at(2026, 12, 1, 9), tick=False):
        unknown = Requester(None, None, "+15145550199", Language.FR)
        ticket = tickets.open_to_verify(
            db, unknown, priority=Line.REGULAR, channel=Channel.PHONE, subject="?", account="1001"
        )
        db.commit()
    assert ticket.sla_due_at is None
    marie, supervisor = _marie(db), _luc(db)
    with time_machine.travel(at(2026, 12, 1, 13), tick=False):
        tickets.settle_verification(
            db,
            context.hours,
            ticket,
            client_id=marie.client_id,
            contact_id=marie.id,
            staff_member_id=supervisor.id,
        )
        db.commit()
    assert (ticket.to_verify, ticket.contact_id) == (False, marie.id)
    assert ticket.sla_due_at == at(2026, 12, 1, 17)  # 4 business hours from 13:00
    tasks = [row.task for row in db.scalars(select(OutboxTask).order_by(OutboxTask.id))]
    assert tasks == ["ticket.verify", "ticket.follow_up"]


def test_a_contact_of_another_client_cannot_settle_a_message(db: Session, context: Context) -> None:
    unknown = Requester(None, None, "+15145550199", Language.FR)
    ticket = tickets.open_to_verify(
        db, unknown, priority=Line.REGULAR, channel=Channel.PHONE, subject="?"
    )
    marie = _marie(db)
    with pytest.raises(TicketStateError, match="not one of that client's"):
        tickets.settle_verification(
            db,
            context.hours,
            ticket,
            client_id=marie.client_id + 1,
            contact_id=marie.id,
            staff_member_id=_luc(db).id,
        )


def test_a_message_to_verify_closed_keeps_its_reason(db: Session, context: Context) -> None:
    unknown = Requester(None, None, "+15145550199", Language.FR)
    ticket = tickets.open_to_verify(
        db, unknown, priority=Line.REGULAR, channel=Channel.PHONE, subject="?"
    )
    tickets.close_verification(ticket, _luc(db).id, reason="wrong number")
    db.commit()
    assert ticket.status == TicketStatus.CLOSED
    assert ticket.events[-1].data == {"reason": "wrong number"}
