"""Twilio voice webhooks and the call flows."""
