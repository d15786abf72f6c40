"""Callers' messages, played from our own copy (RECORDINGS_DIR) to signed-in staff only."""

from __future__ import annotations

from flask import Blueprint, abort, send_file
from flask.typing import ResponseReturnValue

from console import queries
from console.access import STAFF, allow, current_viewer, helpdesk, refuse_unmarked
from helpdesk import recordings
from models import Recording, Ticket

bp = Blueprint("recordings", __name__, url_prefix="/console/recordings")
bp.before_request(refuse_unmarked)


@bp.get("/<int:recording_id>")
@allow(STAFF)
def play(recording_id: int) -> ResponseReturnValue:
    """The audio, with Range requests (send_file's conditional responses) so players can seek.

    Whoever may open the message's ticket may hear it; a message without a ticket is the
    supervisors' (they alone see the call log)."""
    viewer, context = current_viewer(), helpdesk()
    assert viewer is not None
    with context.transaction() as session:
        recording = session.get(Recording, recording_id)
        if recording is None:
            abort(404)
        ticket = session.get(Ticket, recording.ticket_id) if recording.ticket_id else None
        allowed = (
            queries.may_open(session, viewer, ticket, helpdesk().now())
            if ticket is not None
            else viewer.supervisor
        )
        if not allowed:
            abort(403)
        path = recordings.stored_file(context.settings, recording)
    if path is None:
        abort(404)  # not copied from Twilio yet
    return send_file(path.resolve(), mimetype=recordings.AUDIO_TYPE, conditional=True, max_age=0)
