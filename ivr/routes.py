"""The phone line on an app: its voice (the prompt catalog and the menu) and every /voice
route. The call flows put their routes on ``ivr.steps.bp`` when they are imported: importing
them here, once, is what makes the routes exist."""

from __future__ import annotations

from flask import Flask

from ivr import callback_legs, cata, entry, reception, recordings, regular, steps, twiml

FLOWS = (entry, reception, regular, cata, recordings, callback_legs)


def register(app: Flask, voice: twiml.Voice) -> None:
    app.extensions[steps.VOICE] = voice
    app.register_blueprint(steps.bp)
