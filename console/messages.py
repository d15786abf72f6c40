"""The files that came with the clients' emails, and the messages the helpdesk did not send.

A file is served to whoever may open its email's ticket, always as a download except a bitmap
image, shown in the conversation; never rendered as a page of this site. Supervisors see the
answers held as a possible mail loop and the notices that failed or were refused, and may send
a held answer anyway.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from console import conversation, queries, streaming
from console.access import STAFF, SUPERVISORS, allow, current_viewer, helpdesk, refuse_unmarked
from models import EmailAttachment, EmailMessage, Notification, Ticket
from sending import delivery
from storage import files

bp = Blueprint("messages", __name__, url_prefix="/console")
bp.before_request(refuse_unmarked)


@bp.get("/attachments/<int:file_id>")
@allow(STAFF)
def attachment(file_id: int) -> ResponseReturnValue:
    viewer, context = current_viewer(), helpdesk()
    assert viewer is not None
    with context.transaction() as session:
        file = session.get(EmailAttachment, file_id)
        email = session.get(EmailMessage, file.email_id) if file else None
        ticket = session.get(Ticket, email.ticket_id) if email and email.ticket_id else None
        stored = files.complete(session, file.stored_file_id) if file else None
        if file is None or stored is None:
            abort(404)
        allowed = (
            queries.may_open(session, viewer, ticket, context.now())
            if ticket is not None
            else viewer.supervisor
        )
        if not allowed:
            abort(403)
        stored_id, size, name, kind = stored.id, stored.size, file.filename, file.content_type
    inline = request.args.get("inline") == "1" and kind in conversation.INLINE_IMAGES
    mimetype = kind if inline else "application/octet-stream"
    response = streaming.stored(context, stored_id, size, mimetype)
    # Whatever the bytes say they are, they are never a page of this site.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = (
        f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{quote(name)}"
    )
    return response


@bp.get("/undelivered")
@allow(SUPERVISORS)
def undelivered() -> ResponseReturnValue:
    with helpdesk().transaction() as session:
        rows = queries.undelivered(session, helpdesk().now())
    return render_template("undelivered.html", rows=rows)


@bp.post("/notifications/<int:notification_id>/send")
@allow(SUPERVISORS)
def send_anyway(notification_id: int) -> ResponseReturnValue:
    viewer = current_viewer()
    assert viewer is not None
    with helpdesk().transaction() as session:
        released = delivery.release(session, notification_id, viewer.id)
        row = session.get(Notification, notification_id)
        ticket = session.get(Ticket, row.ticket_id) if row and row.ticket_id else None
        number = ticket.number if ticket else None
    if released:
        flash(_("The message will be sent."), "info")
    else:
        flash(_("This message is neither held nor interrupted: nothing to send."), "error")
    if number is None:
        return redirect(url_for("messages.undelivered"))
    return redirect(url_for("tickets.show", number=number, _anchor="conversation"))
