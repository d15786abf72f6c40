"""The helpdesk's acts for calls on the phone line: who is calling, the call's ticket, the
messages left, the CATA's ring group, the end of the call.

Plain functions that take the webhook's session and return what the call flow needs to answer;
the TwiML is the door's (``ivr/``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from helpdesk import business_time, calllog, personal_codes, tasks, tickets
from helpdesk.tickets import Opened, Requester
from models import (
    Call,
    CallEventKind,
    CallOutcome,
    CallRing,
    Channel,
    Client,
    Contact,
    ContactPhone,
    Language,
    Line,
    Notification,
    Recording,
    StaffMember,
    Ticket,
    TicketEventKind,
    WhisperAnswer,
    current_time,
)
from models.db import insert_or_skip
from phones import parse_caller_id
from routing.calendar import Status
from routing.config import BusinessHours
from routing.duty import Person, Unstaffed

log = logging.getLogger(__name__)

# Why a call's regular request became urgent, as its history keeps it.
CHOSE_THE_CATA = "caller_chose_the_cata"
# Longer than any call that opens a ticket: ringing, a message of at most a few minutes.
FOLLOW_UP_SAFETY_NET = timedelta(minutes=10)


@dataclass(frozen=True)
class Message:
    """A recording Twilio made of what the caller said."""

    url: str
    seconds: int
    sid: str


# -- who is calling -----------------------------------------------------------------------------


def arrive(
    session: Session, call: Call, from_raw: str, to_raw: str, cata_numbers: tuple[str, ...]
) -> None:
    """First sight of a call: who is calling (caller ID), on which line."""
    contact = identify(session, from_raw)  # first: the call's new values then go out in one UPDATE
    call.from_number, call.to_number = from_raw, to_raw
    if contact is not None:
        call.contact_id, call.client_id = contact.id, contact.client_id
        call.language = contact.language
    call.line = Line.URGENT if to_raw in cata_numbers else None
    calllog.record(
        call,
        CallEventKind.ARRIVED,
        line="cata" if call.line else "main",
        known=contact is not None,
        authorized=bool(contact and contact.authorized),
    )


def identify(session: Session, raw_from: str) -> Contact | None:
    """The directory's contact calling from this caller ID, if any."""
    number = parse_caller_id(raw_from)
    if number is None:
        return None
    return session.scalar(select(Contact).join(ContactPhone).where(ContactPhone.number == number))


def choose_language(call: Call, language: Language, why: str) -> None:
    """The caller's language for the rest of the call, and for the ticket the call opens (its
    emails to the client follow it). The contact's own language in the directory is never
    changed by a key: only a supervisor changes it."""
    call.language = language
    calllog.record(call, CallEventKind.LANGUAGE_CHOSEN, language=language.value, why=why)


def authorized_contact(session: Session, call: Call) -> Contact | None:
    """The caller, when the directory names them an authorized contact."""
    contact = session.get(Contact, call.contact_id) if call.contact_id else None
    return contact if contact is not None and contact.authorized else None


def option_chosen(call: Call, destination: str, **data: object) -> None:
    if destination in (Line.REGULAR, Line.URGENT):
        # The line the caller is in, from now: a message left after a failure belongs to it.
        call.line = Line(destination)
    calllog.record(call, CallEventKind.OPTION_CHOSEN, destination=destination, **data)


def invalid_input(call: Call, digits: str, heard: bool) -> None:
    calllog.record(call, CallEventKind.INVALID_INPUT, digits=digits, heard=heard)


# -- the call's ticket --------------------------------------------------------------------------


def waiting_ticket(session: Session, call: Call, contact: Contact) -> Ticket | None:
    """The contact's newest open ticket, other than this call's: the caller may add to it."""
    return tickets.newest_open_ticket_of(session, contact.id, other_than=call.ticket_id)


def choose_existing(session: Session, call: Call, ticket_id: int) -> Ticket | None:
    """The caller's own open ticket they chose to add a message to; None if not theirs."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or call.contact_id is None or ticket.contact_id != call.contact_id:
        return None
    option_chosen(call, "add_to_ticket", ticket=ticket.number)
    return ticket


def open_support_ticket(session: Session, hours: BusinessHours, call: Call, line: Line) -> Opened:
    """The call's ticket (opened once, however often Twilio asks), and the line's status now."""
    # Two copies of this webhook at once open one ticket: the call's row is locked for the
    # webhook's unit of work (calllog.find_or_start), so the second finds the first's ticket.
    if call.ticket_id is not None:
        ticket = session.get(Ticket, call.ticket_id)
        assert ticket is not None
        return Opened(ticket, line_status(session, hours, hours.line(line.value).schedule))
    contact = session.get(Contact, call.contact_id) if call.contact_id else None
    opened = tickets.open_ticket(
        session,
        hours,
        _requester(call),
        priority=line,
        channel=Channel.PHONE,
        # Who called; the console composes the subject from it in its reader's language.
        subject=contact.name if contact else call.from_number,
    )
    status = opened.status
    call.ticket_id, call.line = opened.ticket.id, line  # the support line the caller reached
    # A message, or its absence (abandoned), is known at the end of the call; after hours is now.
    call.outcome = None if status.is_open else CallOutcome.AFTER_HOURS
    # Should the call's last steps never reach us, the ticket is followed up all the same.
    tasks.follow_up(
        session, opened.ticket.id, safety_net_at=current_time(session) + FOLLOW_UP_SAFETY_NET
    )
    calllog.record(
        call,
        CallEventKind.TICKET_OPENED,
        number=opened.ticket.number,
        line=line.value,
        due_at=_instant(opened.ticket.sla_due_at),
    )
    if not status.is_open:
        closed(call, status)
    return opened


def _instant(moment: datetime | None) -> str | None:
    """A moment as the timeline's data keeps it (JSON): ISO 8601, in UTC."""
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _requester(call: Call) -> Requester:
    number = parse_caller_id(call.from_number)
    return Requester(
        client_id=call.client_id,
        contact_id=call.contact_id,
        address=number or "",
        language=call.language or Language.FR,
    )


def line_status(session: Session, hours: BusinessHours, schedule: str) -> Status:
    now = current_time(session)
    return business_time.calendar_for(session, hours, schedule, now).status(now)


def cata_instead(session: Session, hours: BusinessHours, regular: Status) -> Status | None:
    """Why regular support is closed at this moment (``regular``: its status now), when the
    CATA is open (its own schedule, holidays and closures): a caller of regular support with an
    urgent problem may turn to it. None when regular support is open, or the CATA closed too."""
    if regular.is_open:  # the usual case: nothing more to read
        return None
    urgent = line_status(session, hours, hours.line(Line.URGENT.value).schedule)
    return regular if urgent.is_open else None


def turn_to_the_cata(session: Session, hours: BusinessHours, call: Call, *, key: str) -> None:
    """The caller of regular support, closed, chose the CATA instead: the call's request (opened
    as regular) becomes urgent, its promise the CATA's from now, and the call goes on there."""
    option_chosen(call, Line.URGENT, key=key, instead_of=Line.REGULAR.value)
    ticket = session.get(Ticket, call.ticket_id) if call.ticket_id else None
    if ticket is not None and ticket.priority == Line.REGULAR:
        why = CHOSE_THE_CATA  # a key the console puts in its reader's words
        tickets.change_priority(
            session, hours, ticket, Line.URGENT, reason=why, staff_member_id=None
        )


# -- messages -----------------------------------------------------------------------------------


def keep_recording(
    session: Session, call: Call, message: Message | None, ticket_id: int | None = None
) -> bool:
    """Store the caller's message once (Twilio may send its webhook twice); True when new."""
    if message is None:
        calllog.record(call, CallEventKind.NO_MESSAGE)
        return False
    row = {
        "call_id": call.id,
        "ticket_id": ticket_id or call.ticket_id,
        "url": message.url,
        "sid": message.sid,
        "seconds": message.seconds,
        "created_at": current_time(session),
    }
    statement = insert_or_skip(session, Recording).returning(Recording.id)
    # On the connection, like the outbox's rows: the call's pending events are flushed once.
    inserted = session.connection().execute(statement, row).first()
    if inserted is None:
        return False
    tasks.copy_recording(session, inserted[0])
    calllog.record(call, CallEventKind.MESSAGE_RECORDED, seconds=message.seconds)
    return True


def nothing_recorded_yet(call: Call) -> None:
    """Silence at the beep: the caller is asked once more (the timeline says so)."""
    calllog.record(call, CallEventKind.NO_MESSAGE, again=True)


def _attach(ticket: Ticket, message: Message) -> None:
    """The message in the ticket's history (the recording's row already names the ticket)."""
    tickets.note(
        ticket,
        TicketEventKind.MESSAGE,
        recording_url=message.url,
        seconds=message.seconds,
        recording_sid=message.sid,
    )


def support_message(session: Session, call: Call, message: Message | None) -> Ticket | None:
    """The caller's description on the call's support ticket; its follow-up is queued."""
    ticket = session.get(Ticket, call.ticket_id) if call.ticket_id else None
    if ticket is None:
        return None
    if keep_recording(session, call, message) and message is not None:
        _attach(ticket, message)
        # A message that reached us after the call's end (kept by the fallback) was no hang-up.
        if call.outcome in (None, CallOutcome.ABANDONED):
            call.outcome = CallOutcome.MESSAGE
        if call.ended_at is not None:
            _tell_a_late_message(session, call, ticket)
    queue_follow_up(session, call)
    return ticket


def _tell_a_late_message(session: Session, call: Call, ticket: Ticket) -> None:
    """The staff already told of the ticket (its notices are written once the call has ended)
    are told of a message that reached us after that: none yet, and theirs will carry it."""
    told = session.scalars(
        select(Notification.staff_member_id)
        .where(Notification.ticket_id == ticket.id, Notification.staff_member_id.is_not(None))
        .distinct()
    ).all()
    staff = [ticket.assignee_id] if ticket.assignee_id else sorted(i for i in told if i)
    if staff:
        tasks.notify(session, ticket.id, staff, tasks.Notice.ADDITION, occasion=call.call_sid)


def addition(
    session: Session, hours: BusinessHours, call: Call, ticket_id: int, message: Message | None
) -> Ticket | None:
    """A message added to the caller's own open ticket; whoever handles it is told."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or call.contact_id is None or ticket.contact_id != call.contact_id:
        return None
    if message is None:
        keep_recording(session, call, None)
        return None
    is_new = keep_recording(session, call, message, ticket_id=ticket.id)
    call.ticket_id, call.outcome = ticket.id, CallOutcome.MESSAGE
    if is_new:
        _attach(ticket, message)
    staff = (
        [ticket.assignee_id]
        if ticket.assignee_id
        else business_time.people_on_duty(session, hours, ticket.priority, ticket.created_at)
    )
    tasks.notify(session, ticket.id, staff, tasks.Notice.ADDITION, occasion=call.call_sid)
    return ticket


def for_verification(
    session: Session, call: Call, message: Message | None, client_id: int | None
) -> Ticket | None:
    """A message from somebody the directory does not authorize: a ticket a supervisor settles,
    with no promise and nobody paged."""
    return _to_verify(session, call, message, client_id, CallOutcome.UNAUTHORIZED)


def voicemail(session: Session, call: Call, message: Message | None) -> Ticket | None:
    """The general voicemail: a message becomes a ticket to verify (for the call log and the
    dashboard, the message of somebody not authorized, as at the account prompt)."""
    outcome = call.outcome or CallOutcome.UNAUTHORIZED
    return _to_verify(session, call, message, call.client_id, outcome)


def _to_verify(
    session: Session,
    call: Call,
    message: Message | None,
    client_id: int | None,
    outcome: CallOutcome,
) -> Ticket | None:
    if message is None:
        call.outcome = outcome
        keep_recording(session, call, None)
        return None
    ticket = session.get(Ticket, call.ticket_id) if call.ticket_id else None
    if ticket is None:
        client = session.get(Client, client_id) if client_id else None
        contact = session.get(Contact, call.contact_id) if call.contact_id else None
        requester = _requester(call)
        ticket = tickets.open_to_verify(
            session,
            Requester(
                client.id if client else call.client_id,
                call.contact_id,
                requester.address,
                requester.language,
            ),
            priority=call.line or Line.REGULAR,
            channel=Channel.PHONE,
            # Who called, by name when the directory knows them (a contact not authorized);
            # the console says it is a message, in its reader's language.
            subject=contact.name if contact else requester.address,
            account=call.account_given,
        )
        call.ticket_id = ticket.id
        calllog.record(call, CallEventKind.TICKET_OPENED, number=ticket.number, to_verify=True)
    call.outcome = outcome  # with the ticket: one UPDATE of the call
    if keep_recording(session, call, message, ticket_id=ticket.id):
        _attach(ticket, message)
    return ticket


def message_line(call: Call) -> Line:
    """The line a message left on a side path belongs to: the CATA's for a call to a CATA
    number or in the urgent flow, regular support's otherwise (menu silence, wrong keys, the
    reception, a failure before any choice)."""
    return call.line or Line.REGULAR


def message_left(
    session: Session, hours: BusinessHours, call: Call, message: Message | None
) -> Ticket | None:
    """A message left on a side path (the general voicemail, or after a failure, live or
    replayed from the spool): an authorized client's opens their support ticket on the call's
    line, or joins the one the call opened, with its promise and follow-up; anybody else's
    waits for a supervisor."""
    if message is None or authorized_contact(session, call) is None:
        return voicemail(session, call, message)
    if call.ticket_id is None:
        open_support_ticket(session, hours, call, message_line(call))
    return support_message(session, call, message)


def account_given(session: Session, call: Call, line: Line, digits: str) -> Client | None:
    """What an unauthorized or unknown caller gave as their account number, and its client."""
    call.line = call.line or line
    call.account_given = digits or None
    client = (
        session.scalars(select(Client).where(Client.account == digits)).first() if digits else None
    )
    calllog.record(
        call,
        CallEventKind.UNAUTHORIZED,
        line=line.value,
        account=digits or None,
        known_account=client is not None,
    )
    return client


def why_to_verify(session: Session, call: Call, client: Client | None, *, keyed: bool) -> str:
    """Why the caller's message goes to a supervisor: "not_authorized" only for a number the
    directory knows as a contact the client has not designated; "not_identified" for any other
    caller of a known account (anonymous, another phone, no or wrong code), who may well be
    designated; else "unknown_account", or "no_account" when none was keyed."""
    if client is None:
        return "unknown_account" if keyed else "no_account"
    contact = session.get(Contact, call.contact_id) if call.contact_id else None
    return "not_authorized" if contact is not None and not contact.authorized else "not_identified"


def account_client(session: Session, call: Call) -> Client | None:
    """The client whose account number the caller gave, if it is one."""
    if not call.account_given:
        return None
    return session.scalars(select(Client).where(Client.account == call.account_given)).first()


# -- personal codes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeAnswer:
    """What a personal code given on the phone did: the contact it names, or the tries left."""

    contact: Contact | None
    tries_left: int


def asks_for_code(session: Session, call: Call, client: Client) -> bool:
    """Whether a caller who gave this client's account is asked for a personal code: some
    authorized contact of the client has one, and the account is not locked for the day."""
    if not personal_codes.holders(session, client.id):
        return False
    if personal_codes.locked(session, client.account, current_time(session)):
        calllog.record(call, CallEventKind.CODES_LOCKED, account=client.account)
        log.warning("personal codes of account %s refused for the day", client.account)
        return False
    return True


def code_given(session: Session, call: Call, code: str) -> CodeAnswer:
    """A personal code keyed after the account number: the contact whose code it is makes the
    call theirs; a wrong one is counted on the call. The code itself is never kept."""
    client = account_client(session, call)
    if client is None or call.code_failures >= personal_codes.TRIES_PER_CALL:
        return CodeAnswer(None, 0)
    if personal_codes.locked(session, client.account, current_time(session)):
        calllog.record(call, CallEventKind.CODES_LOCKED, account=client.account)
        return CodeAnswer(None, 0)
    contact = personal_codes.match(personal_codes.holders(session, client.id), code)
    if contact is not None:
        identified_by_code(session, call, contact)
        return CodeAnswer(contact, 0)
    call.code_failures += 1
    calllog.record(call, CallEventKind.CODE_REFUSED, failures=call.code_failures)
    return CodeAnswer(None, personal_codes.TRIES_PER_CALL - call.code_failures)


def identified_by_code(session: Session, call: Call, contact: Contact) -> None:
    """The call is the contact's from now on, as if their number were on file; in their
    language, unless the caller chose one with a key during this call."""
    call.contact_id, call.client_id = contact.id, contact.client_id
    if not calllog.language_chosen_by_key(session, Call.id == call.id):
        call.language = contact.language
    calllog.record(call, CallEventKind.IDENTIFIED_BY_CODE, contact_id=contact.id)


# -- the CATA's ring group ----------------------------------------------------------------------


def reachable_team(session: Session, hours: BusinessHours, ticket: Ticket) -> list[Person]:
    """The people on urgent duty who can be rung (they have a mobile)."""
    try:
        people = business_time.on_duty(session, hours, Line.URGENT.value, ticket.created_at)
    except Unstaffed:
        return []
    return [p for p in people if p.mobile]


def ring_team(session: Session, call: Call, people: list[Person]) -> None:
    """Who is rung for this call, in order: they are paged if nobody accepts."""
    now = current_time(session)
    rows = [
        {"call_id": call.id, "staff_member_id": p.id, "position": i, "rung_at": now}
        for i, p in enumerate(people)
    ]
    session.connection().execute(insert_or_skip(session, CallRing), rows)
    calllog.record(call, CallEventKind.TECHNICIANS_RUNG, staff_ids=[p.id for p in people])


def rung_for(session: Session, parent_sid: str, staff_id: int) -> tuple[Call, StaffMember] | None:
    """The CATA call that rang this technician, and the technician, in one query; None when
    they were not rung for it."""
    row = session.execute(
        select(Call, StaffMember)
        .join(CallRing, CallRing.call_id == Call.id)
        .join(StaffMember, StaffMember.id == CallRing.staff_member_id)
        .where(Call.call_sid == parent_sid, CallRing.staff_member_id == staff_id)
    ).first()
    return None if row is None else (row[0], row[1])


def whisper_answered(
    session: Session, parent: Call, staff_id: int, digits: str, leg_sid: str
) -> bool:
    """A rung technician answered the whisper: only a 1 accepts. True when accepted."""
    accepted = digits == "1"
    session.execute(
        update(CallRing)
        .where(
            CallRing.call_id == parent.id,
            CallRing.staff_member_id == staff_id,
            CallRing.answer.is_(None),
        )
        .values(
            answer=WhisperAnswer.ACCEPTED if accepted else WhisperAnswer.REFUSED,
            answered_at=current_time(session),
            leg_sid=leg_sid,
        )
    )
    if accepted:
        calllog.record(parent, CallEventKind.WHISPER_ACCEPTED, staff_id=staff_id, child=leg_sid)
    else:
        calllog.record(parent, CallEventKind.WHISPER_REFUSED, staff_id=staff_id, digits=digits)
    return accepted


def ring_group_ended(session: Session, call: Call, dial_status: str, dial_sid: str) -> int | None:
    """The ring group is over: the technician connected (who accepted and was bridged) gets the
    ticket, and reaching them is the first response. None when nobody was connected."""
    accepted = [r for r in call.rings if r.answer == WhisperAnswer.ACCEPTED]
    winner = next((r for r in accepted if r.leg_sid == dial_sid), None) or (
        accepted[0] if accepted else None
    )
    ticket = session.get(Ticket, call.ticket_id) if call.ticket_id else None
    if dial_status != "completed" or winner is None or ticket is None:
        calllog.record(
            call, CallEventKind.NO_ANSWER, dial_status=dial_status or "none", accepted=len(accepted)
        )
        return None
    staff_id = winner.staff_member_id
    tickets.assign(ticket, staff_id, why="accepted the CATA call")
    answered = winner.answered_at or calllog.webhook_time(session)
    tickets.first_response(ticket, answered, staff_id)
    call.outcome = CallOutcome.CONNECTED
    calllog.record(call, CallEventKind.CONNECTED, staff_id=staff_id)
    return staff_id


def nobody_to_ring(call: Call) -> None:
    calllog.record(call, CallEventKind.NO_ANSWER, why="nobody on duty with a mobile")


# -- the reception and the end of the call ------------------------------------------------------


def reception_result(call: Call, connected: bool) -> None:
    if connected:
        call.outcome = CallOutcome.CONNECTED
        calllog.record(call, CallEventKind.CONNECTED, to="reception")
    else:
        calllog.record(call, CallEventKind.NO_ANSWER, to="reception")


def closed(call: Call, status: Status) -> None:
    """The line (or the reception) is closed, and why: the holiday, or the closure's own words."""
    why = {
        "reason": status.reason.value if status.reason else "closed",
        "holiday": status.holiday.code if status.holiday else None,
        "closure": status.closure.reason if status.closure else None,
    }
    calllog.record(call, CallEventKind.CLOSED, **{k: v for k, v in why.items() if v})


def promise_given(call: Call, ticket: Ticket) -> None:
    """The caller heard when they will be called back: the timeline keeps the moment promised."""
    calllog.record(
        call,
        CallEventKind.PROMISE_GIVEN,
        due_at=_instant(ticket.sla_due_at),
        line=ticket.priority.value,
    )


def to_voicemail(call: Call, reason: str) -> None:
    calllog.record(call, CallEventKind.VOICEMAIL, reason=reason)


def call_ended(session: Session, call: Call, status: str, duration: str) -> None:
    """Twilio's last word on the call: its status; an unfinished support ticket is followed up
    (a caller who hung up before leaving a message still gets their callback)."""
    if calllog.set_status(call, status, duration):
        _over(session, call)


def end_not_reported(session: Session, call: Call) -> None:
    """An inbound call whose end Twilio never reported (helpdesk.unreported_ends): over all the
    same, and followed up as its status callback would have."""
    calllog.end_not_reported(call)
    _over(session, call)


def _over(session: Session, call: Call) -> None:
    call.outcome = call.outcome or CallOutcome.ABANDONED
    queue_follow_up(session, call)


def queue_follow_up(session: Session, call: Call) -> None:
    """Queue the follow-up of the call's support ticket (once): its written confirmation and,
    unless a technician took the call, its callback. A call a technician took is confirmed as
    soon as it ends, not when the safety net comes round."""
    if call.ticket_id is None:
        return
    ticket = session.get(Ticket, call.ticket_id)
    if ticket is None or ticket.to_verify:
        return
    if tasks.follow_up(session, ticket.id) and call.outcome != CallOutcome.CONNECTED:
        calllog.record(call, CallEventKind.CALLBACK_QUEUED)
