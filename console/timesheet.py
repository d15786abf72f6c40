"""Time on a ticket: preview what an entry will charge and what the bank will pay, then post it.

The preview is the same service check and arithmetic as the posting, read-only, shown on the
ticket's page with the form still filled in: no script needed.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from console import forms, time_form
from console.access import STAFF, Viewer, allow, helpdesk, refuse_unmarked
from console.tickets import _ticket, _viewer, render_ticket
from helpdesk import ticket_rules, time_entries
from helpdesk.ticket_rules import Act
from models import Ticket
from refusals import Refused

bp = Blueprint("timesheet", __name__, url_prefix="/console")
bp.before_request(refuse_unmarked)


def _entry(ticket: Ticket, viewer: Viewer) -> time_entries.EntryForm:
    zone = helpdesk().hours.timezone
    return time_form.read(request.form, ticket.id, viewer.id, zone)


@bp.post("/tickets/<int:number>/time/preview")
@allow(STAFF)
def preview(number: int) -> ResponseReturnValue:
    def extra(session: Session, ticket: Ticket, viewer: Viewer) -> object:
        return time_entries.preview(session, _entry(ticket, viewer))

    return render_ticket(number, time_form.values(request.form), extra)


@bp.post("/tickets/<int:number>/time")
@allow(STAFF)
def post(number: int) -> ResponseReturnValue:
    context, viewer = helpdesk(), _viewer()
    try:
        with context.transaction() as session:
            ticket = _ticket(session, number, viewer)
            forms.once(session, viewer.id)
            ticket_rules.require(ticket, Act.LOG_TIME)
            time_entries.post(
                session,
                _entry(ticket, viewer),
                viewer.id,
                low_minutes=context.settings.bank_low_minutes,
            )
    except Refused as refused:
        error = forms.refusal_text(refused)
        return render_ticket(number, time_form.values(request.form), error=error)
    except forms.Copy:
        pass  # a double click: the entry is posted once, and the page says so
    flash(_("Time entry posted."), "info")
    return redirect(url_for("tickets.show", number=number))
