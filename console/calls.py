"""Supervisors' call log: filtered, paged by keyset, exported as CSV; each call's timeline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from console import calllog, queries, spreadsheet
from console.access import SUPERVISORS, allow, helpdesk, refuse_unmarked
from helpdesk.context import Context
from models import Call, CallDirection, CallOutcome, Client, Contact, Line, Recording, Ticket

bp = Blueprint("calls", __name__, url_prefix="/console/calls")
bp.before_request(refuse_unmarked)


@bp.get("/")
@allow(SUPERVISORS)
def index() -> ResponseReturnValue:
    context = helpdesk()
    filters = calllog.read_filters(request.args)
    after = calllog.read_cursor(request.args.get("after", ""))
    with context.transaction() as session:
        names = queries.staff_names(session)
        rows, next_cursor = calllog.page(session, filters, context.hours.timezone, names, after)
        clients = queries.clients(session)
    return render_template(
        "calls.html",
        rows=rows,
        filters=filters,
        next_cursor=next_cursor,
        paged=after is not None,
        clients=clients,
        staff=sorted(names.items(), key=lambda item: item[1]),
        lines=list(Line),
        outcomes=list(CallOutcome),
        directions=list(CallDirection),
    )


@bp.get("/export.csv")
@allow(SUPERVISORS)
def export() -> ResponseReturnValue:
    """The filtered log as CSV, streamed chunk by chunk while the rows are read."""
    filters = calllog.read_filters(request.args)
    name = spreadsheet.file_name(_("calls"), filters.raw.get("from", ""), filters.raw.get("to", ""))
    return Response(
        stream_with_context(_csv_chunks(helpdesk(), filters, spreadsheet.separator())),
        mimetype="text/csv",
        headers=spreadsheet.headers(name),
    )


def _csv_chunks(context: Context, filters: calllog.Filters, delimiter: str) -> Iterator[str]:
    """The header, then one keyset page of the log per read transaction: no transaction stays
    open while a slow client downloads, and a call that arrives meanwhile (newer than every
    cursor) neither shifts nor repeats a row."""
    zone = context.hours.timezone
    with context.transaction() as session:
        names = queries.staff_names(session)
    yield spreadsheet.BOM + spreadsheet.lines([calllog.csv_header()], delimiter)
    after: tuple[datetime, int] | None = None
    while True:
        with context.transaction() as session:
            rows, cursor = calllog.page(
                session, filters, zone, names, after, size=calllog.EXPORT_CHUNK, counted=False
            )
            text = spreadsheet.lines(calllog.csv_rows(rows, zone), delimiter)
        yield text
        after = calllog.read_cursor(cursor) if cursor else None
        if after is None:
            return


@bp.get("/<int:call_id>")
@allow(SUPERVISORS)
def show(call_id: int) -> ResponseReturnValue:
    with helpdesk().transaction() as session:
        call = session.scalars(
            select(Call)
            .where(Call.id == call_id)
            .options(selectinload(Call.events), selectinload(Call.rings))
        ).first()
        if call is None:
            abort(404)
        client = session.get(Client, call.client_id) if call.client_id else None
        contact = session.get(Contact, call.contact_id) if call.contact_id else None
        ticket = session.get(Ticket, call.ticket_id) if call.ticket_id else None
        recordings = session.scalars(
            select(Recording).where(Recording.call_id == call.id).order_by(Recording.id)
        ).all()
        names = queries.staff_names(session)
    return render_template(
        "call.html",
        call=call,
        client=client,
        contact=contact,
        ticket=ticket,
        recordings=recordings,
        names=names,
    )
