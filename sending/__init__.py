"""Everything that leaves the app for a person, in the order it goes: what is written
(``staff_notices`` to technicians and supervisors, ``clients`` for the client mail that
``mail`` writes, ``bank_alerts``), then ``delivery``, the record of each message (claim, send,
record), through ``smtp`` or ``sms``.

A transport answers with the provider's id, ``LOGGED`` when it only wrote the message to the
log (no SMTP_URL or no Twilio credentials), or raises ``Refused`` when the other side said no
for good, ``Deferred`` when it said "later".
"""

LOGGED = "logged"  # the provider id of a message written to the log instead of sent


class Refused(Exception):
    """The mail server or Twilio refused the message for good (an address that does not exist,
    a number that cannot take SMS): sending it again would be refused again. ``reason`` says
    who refused what, in a word the pages translate; the text is the server's own reply."""

    def __init__(self, reply: str, reason: str) -> None:
        super().__init__(reply)
        self.reason = reason


class Deferred(Exception):
    """The mail server put the message off (4xx: greylisting, a mailbox busy): the job tries
    again later. The text is the server's own reply."""


# Why a message was not sent, as stored on its row (``Notification.failure``): refused for
# good, then failed and tried again. The pages and the staff notices put them in words.
RECIPIENT_REFUSED = "recipient_refused"  # the recipient's server: no such address, mailbox full
SENDER_REFUSED = "sender_refused"  # our own sending address was refused
MESSAGE_REFUSED = "message_refused"  # the message itself (its content, its size)
NUMBER_REFUSED = "number_refused"  # Twilio: a number that cannot take the SMS
DEFERRED = "deferred"  # the mail server asked to try again later (4xx)
UNREACHABLE = "unreachable"  # the mail server or Twilio could not be reached
ERROR = "error"  # anything else
FAILURES = (
    RECIPIENT_REFUSED,
    SENDER_REFUSED,
    MESSAGE_REFUSED,
    NUMBER_REFUSED,
    DEFERRED,
    UNREACHABLE,
    ERROR,
)
