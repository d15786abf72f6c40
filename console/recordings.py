"""Callers' messages, played from our own copy (in the storage every host reaches) to signed-in
staff only, streamed chunk by chunk with Range requests so players can seek."""

from __future__ import annotations

from flask import Blueprint, abort
from flask.typing import ResponseReturnValue

from console import queries, streaming
from console.access import STAFF, allow, current_viewer, helpdesk, refuse_unmarked
from helpdesk import recordings
from models import Recording, Ticket

bp = Blueprint("recordings", __name__, url_prefix="/console/recordings")
bp.before_request(refuse_unmarked)


@bp.get("/<int:recording_id>")
@allow(STAFF)
def play(recording_id: int) -> ResponseReturnValue:
    """The audio, with Range requests so players can seek.

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
        copy = recordings.playable(session, recording)
    if copy is None:
        abort(404)  # not copied from Twilio yet, or deleted after RECORDINGS_KEEP_DAYS
    return streaming.stored(context, copy.file_id, copy.size, recordings.AUDIO_TYPE)
