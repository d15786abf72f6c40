"""Twilio voice webhooks and the call flows, under /voice."""

from ivr import entry, reception, support
from ivr.web import bp

__all__ = ["bp", "entry", "reception", "support"]
