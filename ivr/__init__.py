"""The phone line's door: Twilio voice webhooks under /voice, and the call flows.

Importing this package loads nothing else: ``ivr.steps.register`` puts the routes on an app.
"""
