"""Supervisors' call log: filtered, paged by keyset, exported as CSV; each call's timeline."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from console import calllog, queries
from console.access import SUPERVISORS, allow, helpdesk, refuse_unmarked
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
    context = helpdesk()
    filters = calllog.read_filters(request.args)
    zone = context.hours.timezone
    with context.transaction() as session:
        rows = calllog.export(session, filters, zone, queries.staff_names(session))
    out = io.StringIO()
    csv.writer(out).writerows(calllog.csv_rows(rows, zone))
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="calls.csv"'},
    )


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
