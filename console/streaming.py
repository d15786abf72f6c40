"""A stored file (``storage.files``) sent chunk by chunk, never whole in memory, with Range
requests (one range; several get the whole file) so players can seek."""

from __future__ import annotations

from flask import Response, request
from werkzeug.datastructures import ContentRange

from helpdesk.context import Context


def stored(context: Context, file_id: int, size: int, mimetype: str) -> Response:
    """The file's bytes, or the requested range of them (206), or 416 for a range outside."""
    start, end, status = 0, size, 200
    wanted = request.range
    if wanted is not None and len(wanted.ranges) == 1:
        span = wanted.range_for_length(size)
        if span is None:
            return Response(status=416, headers={"Content-Range": f"bytes */{size}"})
        (start, end), status = span, 206
    body = context.files.read(file_id, start, end)
    response = Response(body, status, mimetype=mimetype, direct_passthrough=True)
    response.content_length = end - start
    response.accept_ranges = "bytes"
    response.cache_control.private = True
    response.cache_control.max_age = 0
    if status == 206:
        response.content_range = ContentRange("bytes", start, end, size)
    return response
