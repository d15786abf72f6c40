"""Technicians' pages: the work list, a ticket's page, and the acts on a ticket.

Each act is one transaction around one helpdesk service; what the service refuses (a state that
does not allow it, a missing reason) comes back as a message on the ticket's page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy.orm import Session

from billing import InvalidEntry
from console import confirm, forms, queries, time_form
from console.access import STAFF, Viewer, allow, current_viewer, helpdesk, refuse_unmarked
from helpdesk import callbacks, ticket_rules, tickets, time_entries
from helpdesk.callbacks import Attempt
from helpdesk.ticket_rules import Act
from models import Line, StaffMember, Ticket, TicketStatus
from refusals import Refused

bp = Blueprint("tickets", __name__, url_prefix="/console")
bp.before_request(refuse_unmarked)


def _viewer() -> Viewer:
    viewer = current_viewer()
    assert viewer is not None, "@allow(STAFF) lets only signed-in staff through"
    return viewer


@bp.get("/")
@allow(STAFF)
def index() -> ResponseReturnValue:
    context, viewer = helpdesk(), _viewer()
    with context.transaction() as session:
        rows = queries.worklist(session, context.hours, viewer, helpdesk().now())
    return render_template("worklist.html", rows=rows)


def _ticket(session: Session, number: int, viewer: Viewer) -> Ticket:
    """The ticket, if this viewer may open it: 404 when there is none, 403 when not theirs."""
    ticket = queries.find_ticket(session, number)
    if ticket is None:
        abort(404)
    if not queries.may_open(session, viewer, ticket, helpdesk().now()):
        why = NOT_YOURS["verify"] if ticket.to_verify else NOT_YOURS[ticket.priority.value]
        abort(403, description=str(why))
    return ticket


# Why a technician may not open a ticket (console/errors.py shows it on the 403 page).
NOT_YOURS = {
    "urgent": lazy_gettext("urgent line: you are not on call, and the ticket is not yours"),
    "regular": lazy_gettext("regular line: you are not on duty, and the ticket is not yours"),
    "verify": lazy_gettext("a message to verify: a supervisor attaches it to a client first"),
}


@bp.get("/tickets/<int:number>")
@allow(STAFF)
def show(number: int) -> ResponseReturnValue:
    return render_ticket(number, time_form.values({}))


# What a time-entry form does on the ticket page before it is shown: a preview, or nothing.
Extra = Callable[[Session, Ticket, Viewer], object]


def render_ticket(
    number: int, time: dict[str, str], extra: Extra | None = None, error: str = ""
) -> ResponseReturnValue:
    """The ticket's page, its time entries, and the time-entry form filled with ``time``;
    ``extra`` (read-only) runs in the same transaction and its result is shown as a preview."""
    context, viewer = helpdesk(), _viewer()
    preview = None
    with context.transaction() as session:
        ticket = _ticket(session, number, viewer)
        if extra is not None:
            try:
                preview = extra(session, ticket, viewer)
            except InvalidEntry as refused:
                error = forms.refusal_text(refused)
        page = queries.ticket_page(session, context.hours, ticket, helpdesk().now())
        entries = time_entries.of_ticket(session, ticket.id)
        acts = ticket_rules.acts(ticket, viewer.id)
    corrected = {e.corrects_id for e in entries if e.corrects_id}
    html = render_template(
        "ticket.html",
        page=page,
        t=page.ticket,
        lines=list(Line),
        entries=entries,
        corrected=corrected,
        time=time,
        preview=preview,
        time_error=error,
        reopen_days=context.settings.reopen_days,
        note_max_chars=tickets.NOTE_MAX_CHARS,
        summary_max=tickets.SUMMARY_MAX_CHARS,
        acts=acts,
    )
    return html, 422 if error else 200


Doing = Callable[[Session, Ticket, Viewer], None]


def _act(number: int, act: Act, doing: Doing, done: str) -> ResponseReturnValue:
    """Run one act on the ticket in one transaction, if its state allows it (the ticket's
    rules) and this submission of its form was not acted on already; a refusal is rolled back
    and shown."""
    context, viewer = helpdesk(), _viewer()
    try:
        with context.transaction() as session:
            ticket = _ticket(session, number, viewer)
            forms.once(session, viewer.id)
            ticket_rules.require(ticket, act)
            doing(session, ticket, viewer)
    except Refused as refused:
        forms.refuse(refused)
        return redirect(url_for("tickets.show", number=number))
    except forms.Copy:
        pass  # a double click: its first copy did the act, and the page says so
    flash(done, "info")
    return redirect(url_for("tickets.show", number=number))


def _form(name: str) -> str:
    return request.form.get(name, "")


@bp.post("/tickets/<int:number>/take")
@allow(STAFF)
def take(number: int) -> ResponseReturnValue:
    def doing(_s: Session, ticket: Ticket, viewer: Viewer) -> None:
        tickets.assign(ticket, viewer.id, why="taken in the console")

    return _act(number, Act.TAKE, doing, _("The ticket is yours."))


@bp.post("/tickets/<int:number>/call-back")
@allow(STAFF)
def call_back(number: int) -> ResponseReturnValue:
    def doing(session: Session, ticket: Ticket, viewer: Viewer) -> None:
        staff = session.get(StaffMember, viewer.id)
        assert staff is not None
        callbacks.request_callback(session, ticket, staff)

    if callbacks.places_calls(helpdesk().settings):
        done = _("Callback queued: your mobile will ring, press 1.")
    else:
        done = _(
            "Callback logged only: no Twilio account is set up, so no phone will ring. "
            "Call the client from your own phone, then record the call here."
        )
    return _act(number, Act.CALL_BACK, doing, done)


@bp.post("/tickets/<int:number>/called-back")
@allow(STAFF)
def called_back(number: int) -> ResponseReturnValue:
    """From their own phone, the technician reached the client (asked first: it is the first
    response, and the client is emailed), or tried: no answer, a voicemail (kept on the ticket,
    and the client is told we tried)."""
    outcome = _form("outcome")
    if outcome in set(Attempt):

        def tried(_s: Session, ticket: Ticket, viewer: Viewer) -> None:
            callbacks.attempt_from_own_phone(ticket, viewer.id, Attempt(outcome))

        done = _("Noted: the attempt is on the ticket, and the client is told by email we tried.")
        return _act(number, Act.CALLED_BACK, tried, done)
    if not outcome:  # the form always sends one: a form changed in the browser
        forms.refuse(Refused("outcome_needed", "say what the call gave"))
        return redirect(url_for("tickets.show", number=number))
    if outcome != "reached":
        abort(400)
    asking = _confirm_first(number, Act.CALLED_BACK, _called_back_question)
    if asking is not None:
        return asking

    def doing(_s: Session, ticket: Ticket, viewer: Viewer) -> None:
        callbacks.called_back_from_own_phone(ticket, viewer.id, helpdesk().now())

    return _act(number, Act.CALLED_BACK, doing, _("Noted: the client was reached."))


@bp.post("/tickets/<int:number>/notes")
@allow(STAFF)
def add_note(number: int) -> ResponseReturnValue:
    public = _form("visibility") == "public"

    def doing(_s: Session, ticket: Ticket, viewer: Viewer) -> None:
        tickets.add_note(ticket, viewer.id, _form("text"), public=public)

    return _act(number, Act.NOTE, doing, _("Note added."))


@bp.post("/tickets/<int:number>/priority")
@allow(STAFF)
def change_priority(number: int) -> ResponseReturnValue:
    try:
        priority = Line(_form("priority"))
    except ValueError:
        abort(400)

    def doing(session: Session, ticket: Ticket, viewer: Viewer) -> None:
        tickets.change_priority(
            session,
            helpdesk().hours,
            ticket,
            priority,
            reason=_form("reason"),
            staff_member_id=viewer.id,
        )

    return _act(number, Act.CHANGE_PRIORITY, doing, _("Priority changed."))


@bp.post("/tickets/<int:number>/resolve")
@allow(STAFF)
def resolve(number: int) -> ResponseReturnValue:
    asking = _confirm_first(number, Act.RESOLVE, _resolve_question)
    if asking is not None:
        return asking

    summary = request.form.get("summary", "")

    def doing(_s: Session, ticket: Ticket, viewer: Viewer) -> None:
        tickets.resolve(ticket, viewer.id, reopen_within=_reopen_within(), summary=summary)

    return _act(
        number,
        Act.RESOLVE,
        doing,
        _("Ticket resolved: the client is told, and invited to the survey."),
    )


@bp.post("/tickets/<int:number>/close")
@allow(STAFF)
def close(number: int) -> ResponseReturnValue:
    asking = _confirm_first(number, Act.CLOSE, _close_question)
    if asking is not None:
        return asking

    def doing(_s: Session, ticket: Ticket, viewer: Viewer) -> None:
        tickets.close(ticket, viewer.id, reopen_within=_reopen_within())

    return _act(number, Act.CLOSE, doing, _("Ticket closed."))


# What the confirmation of an act says about the ticket: the question, the button, warnings.
Question = tuple[str, str, list[str]]


def _confirm_first(
    number: int, act: Act, question: Callable[[Ticket], Question]
) -> ResponseReturnValue | None:
    """None when the form carries its confirmation (or the ticket's state refuses the act, which
    ``_act`` then says); else the page that asks, about the ticket as it is now."""
    if confirm.confirmed():
        return None
    with helpdesk().transaction() as session:
        ticket = _ticket(session, number, _viewer())
        if act not in ticket_rules.ALLOWED[ticket.status]:
            return None
        asked, yes, warnings = question(ticket)
        subject = ticket.subject
    back = url_for("tickets.show", number=number)
    details = [subject] if subject else []
    if summary := request.form.get("summary", "").strip():  # what the client will read
        details.append(_("The client reads: %(summary)s", summary=summary))
    return confirm.ask(asked, yes, back, details=details, warnings=warnings)


def _not_reached(ticket: Ticket) -> list[str]:
    if ticket.first_response_at is not None or ticket.to_verify:
        return []
    return [_("Nobody has reached the client yet: this ticket has no first response.")]


def _resolve_question(ticket: Ticket) -> Question:
    return (
        _("Resolve ticket %(number)s?", number=ticket.number),
        _("Yes, resolve it"),
        [
            *_not_reached(ticket),
            _("The client is told it is resolved, and invited to the satisfaction survey."),
        ],
    )


def _close_question(ticket: Ticket) -> Question:
    warnings = [*_not_reached(ticket)]
    if ticket.status == TicketStatus.OPEN:
        warnings.append(_("It is still open: closing resolves it first, and the client is told."))
    return _("Close ticket %(number)s?", number=ticket.number), _("Yes, close it"), warnings


def _called_back_question(ticket: Ticket) -> Question:
    return (
        _("Did you reach the client of ticket %(number)s?", number=ticket.number),
        _("Yes, I reached them"),
        [_("This is the ticket's first response, now; the client is emailed a notice.")],
    )


def _reopen_within() -> timedelta:
    return timedelta(days=helpdesk().settings.reopen_days)


@bp.post("/tickets/<int:number>/reopen")
@allow(STAFF)
def reopen(number: int) -> ResponseReturnValue:
    def doing(_s: Session, ticket: Ticket, viewer: Viewer) -> None:
        tickets.reopen(ticket, viewer.id, why=_form("why").strip())

    return _act(number, Act.REOPEN, doing, _("Ticket reopened."))
