"""Jobs that send the client mail ``mail`` writes: each writes its email (once, however often
it runs) in one transaction, then delivers it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helpdesk.context import Context
from mail import notices, replies
from sending.delivery import deliver

# (session, context, ids...) -> the ids of the notifications written
Writer = Callable[..., list[int]]


def acknowledge(context: Context, email_id: int) -> None:
    """Job: acknowledge an authorized contact's email (queued once staff were told)."""
    _write_and_send(context, replies.acknowledgement, email_id)


def answer_unauthorized(context: Context, email_id: int) -> None:
    """Job: tell a sender who is not authorized who may open requests."""
    _write_and_send(context, replies.unauthorized, email_id)


def confirm_ticket(context: Context, ticket_id: int) -> None:
    """Job: a ticket opened by phone, in writing to its contact."""
    _write_and_send(context, notices.confirmation, ticket_id)


def send_notice(
    context: Context,
    ticket_id: int,
    kind: str,
    occasion: str,
    event_id: int | None = None,
    entry_id: int | None = None,
) -> None:
    """Job: the notice of one intervention to the ticket's contact."""
    _write_and_send(context, notices.intervention, ticket_id, kind, occasion, event_id, entry_id)


def invite_to_survey(context: Context, survey_id: int) -> None:
    """Job: the ticket is resolved, and here is its survey."""
    _write_and_send(context, notices.survey_invitation, survey_id)


def _write_and_send(context: Context, write: Writer, *args: Any) -> None:
    with context.transaction() as session:
        ids = write(session, context, *args)
    deliver(context, ids)
