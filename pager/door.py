"""``POST /sms/incoming``: Twilio's messaging webhook, a technician's SMS to the support number;
``POST /sms/status``: Twilio's status callback of each page we sent.

Signed by Twilio like the voice webhooks (the same check, before every request here); it uses
no cookie or session, so it is exempt from the console's CSRF protection. The answer is TwiML:
one <Message> back to a staff member, an empty <Response/> to anybody else.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from sqlalchemy.exc import IntegrityError
from twilio.twiml.messaging_response import MessagingResponse

from helpdesk import pages
from pager import commands
from telephony.signature import check_signature
from web import context as web_context
from web import inputs

bp = Blueprint("sms", __name__, url_prefix="/sms")
bp.before_request(check_signature)


@bp.post("/incoming")
def incoming() -> Response:
    context = web_context.current()
    # Cleaned, not refused: a technician whose SMS held a stray control character still gets
    # an answer (web/inputs.py leaves Twilio's doors to clean their own values).
    sms = commands.Sms(
        message_sid=inputs.clean(request.form.get("MessageSid", ""), 64),
        sender=inputs.clean(request.form.get("From", ""), 32),
        body=inputs.clean(request.form.get("Body", ""), 1_600),
    )
    if not sms.message_sid:
        return Response("MessageSid is required", 400, mimetype="text/plain")
    texts = commands.Texts(context.notices, context.hours.timezone)
    try:
        with context.transaction() as session:
            answer = commands.receive(session, texts, sms)
    except IntegrityError:
        # A copy of this SMS acted meanwhile (Twilio sent it twice at once): its answer.
        with context.transaction() as session:
            answer = commands.receive(session, texts, sms)
    reply = MessagingResponse()
    if answer is not None:
        reply.message(answer)
    return Response(str(reply), mimetype="application/xml")


@bp.post("/status")
def status() -> Response:
    """Twilio says what became of one SMS we sent; a page that did not arrive is noticed."""
    context = web_context.current()
    sid = inputs.clean(request.form.get("MessageSid", ""), 64)
    if not sid:
        return Response("MessageSid is required", 400, mimetype="text/plain")
    state = inputs.clean(request.form.get("MessageStatus", ""), 20)
    error_code = inputs.clean(request.form.get("ErrorCode", ""), 10)
    with context.transaction() as session:
        pages.record_status(session, context.hours, sid, state, error_code)
    return Response(status=204)
