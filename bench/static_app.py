"""The product's app with one route more, for the benchmarks only: a fixed TwiML answer,
signature-checked like every webhook but touching no database: the floor the phone line's
webhooks are measured against. ``gunicorn 'bench.static_app:create_app()'``."""

from __future__ import annotations

from flask import Flask, Response
from twilio.twiml.voice_response import VoiceResponse

import app as product
from ivr.steps import helpdesk_context
from telephony.signature import check_signature


def create_app() -> Flask:
    flask_app = product.create_app()
    flask_app.add_url_rule("/voice/static", "bench_static", static, methods=["POST"])
    # Signed by Twilio like the phone line's webhooks, so no CSRF token, as for those.
    flask_app.extensions["csrf"].exempt(static)
    return flask_app


def static() -> Response:
    check_signature()
    response = VoiceResponse()
    response.say("AltiLogix", voice=helpdesk_context().settings.voice_fr, language="fr-CA")
    response.hangup()
    return Response(str(response), mimetype="text/xml")
