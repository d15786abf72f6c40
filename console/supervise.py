"""Supervisors' pages: messages to verify, the SLA board, satisfaction, staff passwords."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import Session

from console import access, candidates, confirm, forms, queries
from console.access import SUPERVISORS, Viewer, allow, current_viewer, helpdesk, refuse_unmarked
from console.moments import when
from helpdesk import staff_access, staff_sessions, surveys, tickets
from models import Client, Contact, Language, Role, StaffMember, Ticket, utcnow
from refusals import Refused
from web import inputs

bp = Blueprint("supervise", __name__, url_prefix="/console")
bp.before_request(refuse_unmarked)

# The SLA board's table updates itself this often (console/static/sla.js asks for its rows).
SLA_REFRESH_SECONDS = 30


def _viewer() -> Viewer:
    viewer = current_viewer()
    assert viewer is not None
    return viewer


def _number(raw: str) -> int:
    try:
        return inputs.integer(raw)
    except ValueError:
        abort(400)


@bp.get("/verify")
@allow(SUPERVISORS)
def verify() -> ResponseReturnValue:
    with helpdesk().transaction() as session:
        waiting = queries.messages_to_verify(session)
        clients = queries.clients_with_contacts(session)
        proposed = {
            item.ticket.id: candidates.propose(item.ticket, item.account_given, clients)
            for item in waiting
        }
    return render_template("verify.html", waiting=waiting, clients=clients, proposed=proposed)


def _verification(
    number: int, act: Callable[[Session, Ticket], None], done: str | Callable[[Ticket], str]
) -> ResponseReturnValue:
    try:
        with helpdesk().transaction() as session:
            ticket = queries.find_ticket(session, number)
            if ticket is None:
                abort(404)
            act(session, ticket)
            said = done(ticket) if callable(done) else done
    except Refused as refused:
        forms.refuse(refused)
    else:
        flash(said, "info")
    return redirect(url_for("supervise.verify"))


def _not_authorized(number: int, contact: Contact, client: Client) -> ResponseReturnValue:
    """The page that asks before a message goes to a contact the policy does not serve."""
    return confirm.ask(
        _(
            "Attach message %(number)s to %(name)s, who is not an authorized contact of "
            "%(client)s?",
            number=number,
            name=contact.name,
            client=client.name,
        ),
        _("Yes, attach it to %(name)s", name=contact.name),
        url_for("supervise.verify"),
        warnings=[
            _(
                "Support is given to a client's authorized contacts only: make sure the client "
                "agrees, or authorize this contact in the directory first."
            )
        ],
    )


def _settled(ticket: Ticket) -> str:
    """What the supervisor reads once attached: the ticket, its deadline, and the way to it."""
    link = Markup('<a href="{}">{}</a>').format(
        url_for("tickets.show", number=ticket.number), ticket.number
    )
    text = Markup(_("Message %(ticket)s is now a ticket of that client, to call back by %(due)s."))
    return text % {"ticket": link, "due": when(ticket.sla_due_at)}


@bp.post("/verify/<int:number>/settle")
@allow(SUPERVISORS)
def settle(number: int) -> ResponseReturnValue:
    chosen = request.form.get("contact", "").strip()
    if not chosen:
        forms.refuse(Refused("contact_needed", "choose the contact the message is from"))
        return redirect(url_for("supervise.verify"))
    contact_id = _number(chosen)
    viewer = _viewer()
    if not confirm.confirmed():
        with helpdesk().transaction() as session:
            contact = queries.contact(session, contact_id)
            if contact is not None and not contact.authorized:
                return _not_authorized(number, contact, contact.client)

    def act(session: Session, ticket: Ticket) -> None:
        contact = queries.contact(session, contact_id)
        if contact is None:
            raise Refused("no_such_contact", "no such contact")
        tickets.settle_verification(
            session,
            helpdesk().hours,
            ticket,
            client_id=contact.client_id,
            contact_id=contact.id,
            staff_member_id=viewer.id,
        )

    return _verification(number, act, _settled)


@bp.post("/verify/<int:number>/close")
@allow(SUPERVISORS)
def close_verification(number: int) -> ResponseReturnValue:
    viewer, reason = _viewer(), request.form.get("reason", "")

    def act(_session: Session, ticket: Ticket) -> None:
        tickets.close_verification(ticket, viewer.id, reason=reason)

    return _verification(number, act, _("The message is closed."))


def _sla_rows() -> list[queries.TicketRow]:
    context = helpdesk()
    with context.transaction() as session:
        return queries.sla_board(session, context.hours, helpdesk().now())


@bp.get("/sla")
@allow(SUPERVISORS)
def sla() -> ResponseReturnValue:
    with helpdesk().transaction() as session:
        not_sent = queries.undelivered_counts(session, helpdesk().now())
    return render_template(
        "sla.html", rows=_sla_rows(), refresh=SLA_REFRESH_SECONDS, not_sent=not_sent
    )


@bp.get("/sla/rows")
@allow(SUPERVISORS)
def sla_rows() -> ResponseReturnValue:
    """The board's rows alone, an HTML fragment that sla.js puts in place of the shown ones."""
    return render_template("_sla_rows.html", rows=_sla_rows())


@bp.get("/surveys")
@allow(SUPERVISORS)
def survey_results() -> ResponseReturnValue:
    context = helpdesk()
    with context.transaction() as session:
        months = surveys.by_month(session, context.hours.timezone)
    return render_template("surveys.html", months=months)


@bp.get("/staff")
@allow(SUPERVISORS)
def staff() -> ResponseReturnValue:
    with helpdesk().transaction() as session:
        people = queries.staff(session)
    return render_template("staff.html", people=people, roles=list(Role), languages=list(Language))


@bp.post("/staff/<int:staff_id>/sign-out")
@allow(SUPERVISORS)
def sign_out_everywhere(staff_id: int) -> ResponseReturnValue:
    """End every console session of a staff member (a lost phone, a shared computer)."""
    with helpdesk().transaction() as session:
        person = session.get(StaffMember, staff_id)
        if person is None:
            abort(404)
        staff_sessions.end_all(session, staff_id, utcnow(), keep=access.session_key())
        name = person.name
    flash(_("%(name)s is signed out everywhere.", name=name), "info")
    return redirect(url_for("supervise.staff"))


@bp.post("/staff/<int:staff_id>/password")
@allow(SUPERVISORS)
def set_password(staff_id: int) -> ResponseReturnValue:
    password = request.form.get("password", "")
    if password != request.form.get("confirm", ""):
        flash(_("The two passwords differ."), "error")
        return redirect(url_for("supervise.staff"))
    try:
        with helpdesk().transaction() as session:
            person = session.get(StaffMember, staff_id)
            if person is None:
                abort(404)
            staff_access.set_password(session, person, password)
            name = person.name
            if person.id == _viewer().id:
                # A new password ends the other sessions, not this one.
                access.start_session(session, person)
    except Refused as refused:
        forms.refuse(refused)
    else:
        flash(_("New password set for %(name)s.", name=name), "info")
    return redirect(url_for("supervise.staff"))
