"""Everything that leaves the app for a person, in the order it goes: what is written
(``staff_notices`` to technicians and supervisors, ``clients`` for the client mail that
``mail`` writes, ``bank_alerts``), then ``delivery``, the record of each message (claim, send,
record), through ``smtp`` or ``sms``.

A transport answers with the provider's id, ``LOGGED`` when it only wrote the message to the
log (no SMTP_URL or no Twilio credentials), or raises ``Refused`` when the other side said no
for good.
"""

LOGGED = "logged"  # the provider id of a message written to the log instead of sent


class Refused(Exception):
    """The mail server or Twilio refused the message for good (an address that does not exist,
    a number that cannot take SMS): sending it again would be refused again."""
