"""Mail that could not be read, for supervisors: what came in, why it was set aside, and its
raw bytes to look at (never rendered: downloaded as a file)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from console.access import SUPERVISORS, allow, helpdesk, refuse_unmarked
from models.mail import Quarantine

bp = Blueprint("quarantine", __name__, url_prefix="/console/quarantine")
bp.before_request(refuse_unmarked)

PAGE = 100  # the newest first: an operator looks at what just came in


@bp.get("/")
@allow(SUPERVISORS)
def index() -> ResponseReturnValue:
    with helpdesk().transaction() as session:
        kept = session.execute(
            select(
                Quarantine.id,
                Quarantine.received_at,
                Quarantine.reason,
                Quarantine.source,
                Quarantine.size,
            )
            .order_by(Quarantine.received_at.desc(), Quarantine.id.desc())
            .limit(PAGE)
        ).all()
    return render_template("quarantine.html", kept=kept)


@bp.get("/<int:quarantine_id>.eml")
@allow(SUPERVISORS)
def raw(quarantine_id: int) -> ResponseReturnValue:
    with helpdesk().transaction() as session:
        row = session.get(Quarantine, quarantine_id)
        if row is None:
            abort(404)
        data = bytes(row.raw)
    return Response(
        data,
        mimetype="application/octet-stream",  # never shown in the browser as mail or HTML
        headers={"Content-Disposition": f'attachment; filename="quarantine-{quarantine_id}.eml"'},
    )
