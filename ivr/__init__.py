"""Twilio voice webhooks and the call flows, under /voice."""

from ivr import callback, entry, reception, support
from ivr.web import bp

__all__ = ["bp", "callback", "entry", "reception", "support"]
