"""Twilio voice webhooks and the call flows, under /voice."""

from ivr import callback, cata, entry, messages, reception, support
from ivr.web import bp

__all__ = ["bp", "callback", "cata", "entry", "messages", "reception", "support"]
