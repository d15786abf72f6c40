"""The satisfaction survey: resolving a ticket invites its contact, by a link, to rate it 1 to 5.

The policy: "une fois le problème … résolu et donc « fermé », vous serez invité à compléter un
petit sondage de satisfaction via un hyperlien". One survey, and one answer, per ticket; the
link carries an unguessable token (``secrets.token_urlsafe(32)``: 256 random bits) and lasts
30 days from the invitation (``survey.sent_at``).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from helpdesk import tasks
from models import Survey, Ticket, current_time

LINK_LIFETIME = timedelta(days=30)
SCORES = range(1, 6)
# A score this low tells the supervisors at once (sending.staff_notices.tell_unhappy).
UNHAPPY_AT_MOST = 2
COMMENT_MAX_CHARS = 2000
TOKEN_MAX_CHARS = 64  # the column's width: anything longer is no token of ours


class SurveyState(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    EXPIRED = "expired"


class SurveyClosed(ValueError):
    """An answer the survey no longer takes: already answered, or its link has expired."""

    def __init__(self, state: SurveyState) -> None:
        super().__init__(f"the survey is {state.value}")
        self.state = state


@dataclass(frozen=True)
class Month:
    month: str  # "2026-12", in Montreal time
    answers: int
    average: float


def invite(ticket: Ticket, *, now: datetime | None = None) -> bool:
    """Make the ticket's survey and email its link, the first time it is resolved; True then.
    Nothing for a message to verify or a ticket without a contact; a ticket resolved again
    keeps its one survey."""
    session = object_session(ticket)
    assert session is not None, "the ticket must belong to a session"
    if ticket.to_verify or ticket.contact_id is None:
        return False
    if session.scalar(select(Survey.id).where(Survey.ticket_id == ticket.id)) is not None:
        return False
    survey = Survey(
        ticket_id=ticket.id, token=secrets.token_urlsafe(32), sent_at=now or current_time(session)
    )
    session.add(survey)
    session.flush()
    tasks.invite_to_survey(session, survey.id)
    return True


def invitation_key(ticket_id: int) -> str:
    """The key of the email that invites the ticket's contact to its survey (one a ticket)."""
    return f"ticket-{ticket_id}-survey"


def find(session: Session, token: str, *, lock: bool = False) -> Survey | None:
    if not token or len(token) > TOKEN_MAX_CHARS:
        return None
    query = select(Survey).where(Survey.token == token)
    return session.scalar(query.with_for_update() if lock else query)


def state(survey: Survey, now: datetime) -> SurveyState:
    if survey.answered_at is not None:
        return SurveyState.ANSWERED
    if survey.sent_at is None or now >= survey.sent_at + LINK_LIFETIME:
        return SurveyState.EXPIRED
    return SurveyState.OPEN


@dataclass(frozen=True)
class Page:
    """What the public page shows for a link."""

    number: int  # the ticket's
    state: SurveyState
    language: str  # the ticket's (mail.letters.language_of)
    opened: datetime  # the ticket's, so the client knows which request they rate
    subject: str = ""  # an emailed request's own subject (a call has none to show)


def page(session: Session, token: str, now: datetime) -> Page | None:
    """The survey a link leads to, and whether it still takes an answer; None: no such link."""
    survey = find(session, token)
    ticket = session.get(Ticket, survey.ticket_id) if survey else None
    if survey is None or ticket is None:
        return None
    return Page(
        ticket.number,
        state(survey, now),
        ticket.language.value,
        ticket.created_at,
        ticket.written_subject,
    )


def answer(
    session: Session, token: str, score: int, comment: str, *, now: datetime | None = None
) -> None:
    """Store the client's answer: once (the row is locked, a second answer refused), while the
    link lasts. LookupError: no such link."""
    survey = find(session, token, lock=True)
    if survey is None:
        raise LookupError("no such survey")
    moment = now or current_time(session)
    current = state(survey, moment)
    if current != SurveyState.OPEN:
        raise SurveyClosed(current)
    if score not in SCORES:
        raise ValueError(f"a score is from {SCORES[0]} to {SCORES[-1]}")
    survey.score, survey.comment = score, comment.strip()[:COMMENT_MAX_CHARS]
    survey.answered_at = moment
    if score <= UNHAPPY_AT_MOST:
        tasks.tell_unhappy(session, survey.id)


def of_ticket(session: Session, ticket_id: int) -> Survey | None:
    return session.scalar(select(Survey).where(Survey.ticket_id == ticket_id))


def by_month(session: Session, zone: ZoneInfo) -> list[Month]:
    """The answers per month (Montreal time), newest first, with their average score."""
    scores: dict[str, list[int]] = defaultdict(list)
    answered = session.execute(
        select(Survey.answered_at, Survey.score).where(
            Survey.answered_at.is_not(None), Survey.score.is_not(None)
        )
    )
    for moment, score in answered:
        if moment is not None and score is not None:
            scores[moment.astimezone(zone).strftime("%Y-%m")].append(score)
    return [
        Month(month, len(values), round(sum(values) / len(values), 2))
        for month, values in sorted(scores.items(), reverse=True)
    ]
