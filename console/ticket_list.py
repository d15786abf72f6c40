"""Every ticket the viewer may open, resolved and closed ones too: filtered, searched, paged by
keyset (the queries are in ``console/ticket_search.py``)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from console import queries, ticket_search
from console.access import STAFF, allow, current_viewer, helpdesk, refuse_unmarked
from models import Channel, Line, TicketStatus

bp = Blueprint("ticket_list", __name__, url_prefix="/console/tickets")
bp.before_request(refuse_unmarked)


@bp.get("/")
@bp.get("")  # registered first: the address url_for gives
@allow(STAFF)
def index() -> ResponseReturnValue:
    context, viewer = helpdesk(), current_viewer()
    assert viewer is not None, "@allow(STAFF) lets only signed-in staff through"
    criteria = ticket_search.read_criteria(request.args)
    after = ticket_search.read_cursor(request.args.get("after", ""))
    with context.transaction() as session:
        rows, next_cursor = ticket_search.page(
            session, criteria, context.hours, viewer, context.now(), after
        )
        clients = queries.clients(session)
        contacts = ticket_search.contacts(session)
        names = queries.staff_names(session)
    return render_template(
        "ticket_list.html",
        rows=rows,
        criteria=criteria,
        filters=criteria.filters,
        next_cursor=next_cursor,
        paged=after is not None,
        clients=clients,
        contacts=contacts,
        staff=sorted(names.items(), key=lambda item: item[1]),
        statuses=list(TicketStatus),
        lines=list(Line),
        channels=list(Channel),
    )
