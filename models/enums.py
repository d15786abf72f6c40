"""The closed vocabularies of the model, stored as their lowercase values."""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    FR = "fr"
    EN = "en"


class Line(StrEnum):
    """A support line: what the policy calls regular support and urgent support (the CATA)."""

    REGULAR = "regular"
    URGENT = "urgent"


class Role(StrEnum):
    TECHNICIAN = "technician"
    SUPERVISOR = "supervisor"


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"


class TicketStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    CLOSED = "closed"


class MailDirection(StrEnum):
    IN = "in"
    OUT = "out"


class NotificationChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed and committed before the send: a retry never sends it again
    SENT = "sent"
    FAILED = "failed"  # the last try failed (a server away); the job tries again
    REFUSED = "refused"  # the mail server refused it for good (5xx): no retry will change that
    HELD = "held"  # an answer to mail that looks like a loop: sent only if a supervisor says so
    LOGGED = "logged"  # no SMTP server or Twilio account configured: written to the log instead


class HoldReason(StrEnum):
    """Why an answer to mail was held: the signs of a mail loop, never volume alone."""

    BURST = "burst"  # the sender wrote many messages within minutes
    REPEATED = "repeated"  # the same text again from the same sender


class OutboxState(StrEnum):
    PENDING = "pending"  # written, not yet in RQ
    QUEUED = "queued"  # handed to RQ; sent again if RQ loses it
    DONE = "done"  # its job said so, in the database
    FAILED = "failed"  # its job failed for good, retries spent: a supervisor's matter


class WorkKind(StrEnum):
    """What a time entry charges for, as the policy's charging table names it."""

    PHONE = "phone"
    ONSITE = "onsite"


class WorkCategory(StrEnum):
    """Support can be paid from a bank; training and change requests (DDM) cannot."""

    SUPPORT = "support"
    TRAINING = "training"
    CHANGE_REQUEST = "change_request"


class BankReason(StrEnum):
    PURCHASE = "purchase"
    USAGE = "usage"
    ADJUSTMENT = "adjustment"
    REVERSAL = "reversal"  # a usage line given back when its time entry is corrected


class OverrideState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CallDirection(StrEnum):
    """Inbound: a client called the line. Outbound: the app placed it (a callback)."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class CallOutcome(StrEnum):
    """How a call ended, as the supervisors' call log counts it."""

    CONNECTED = "connected"
    MESSAGE = "message"
    AFTER_HOURS = "after_hours"
    UNAUTHORIZED = "unauthorized"
    ABANDONED = "abandoned"
    CALLBACK_REACHED = "callback_reached"
    CALLBACK_NOT_REACHED = "callback_not_reached"


class WhisperAnswer(StrEnum):
    """What a rung technician did with the whisper: only a 1 connects the caller."""

    ACCEPTED = "accepted"
    REFUSED = "refused"


class CallbackState(StrEnum):
    REQUESTED = "requested"
    PLACED = "placed"  # Twilio is ringing the technician
    LOGGED = "logged"  # no Twilio credentials: written to the log instead
    DIALING = "dialing"  # the technician pressed 1; the client is being dialled
    REACHED = "reached"
    NOT_REACHED = "not_reached"
    FAILED = "failed"


class CallEventKind(StrEnum):
    """The steps of a call's timeline."""

    ARRIVED = "arrived"
    LANGUAGE_CHOSEN = "language_chosen"
    OPTION_CHOSEN = "option_chosen"
    INVALID_INPUT = "invalid_input"
    TICKET_OPENED = "ticket_opened"
    CLOSED = "closed"
    TECHNICIANS_RUNG = "technicians_rung"
    WHISPER_ACCEPTED = "whisper_accepted"
    WHISPER_REFUSED = "whisper_refused"
    CONNECTED = "connected"
    NO_ANSWER = "no_answer"
    UNAUTHORIZED = "unauthorized"
    IDENTIFIED_BY_CODE = "identified_by_code"  # a caller not on file gave a contact's code
    CODE_REFUSED = "code_refused"
    CODES_LOCKED = "codes_locked"  # the account's codes are refused for the day
    VOICEMAIL = "voicemail"
    MESSAGE_RECORDED = "message_recorded"
    NO_MESSAGE = "no_message"
    CALLBACK_QUEUED = "callback_queued"
    PROMISE_GIVEN = "promise_given"  # the caller heard when they will be called back
    HUNG_UP = "hung_up"
    END_NOT_REPORTED = "end_not_reported"  # Twilio never said how the call ended
    CALLBACK_TECHNICIAN_ANSWERED = "callback_tech_answered"
    CALLBACK_CLIENT_DIALED = "callback_client_dialed"
    CALLBACK_CLIENT_ANSWERED = "callback_client_answered"
    CALLBACK_CLIENT_NOT_REACHED = "callback_not_reached"


class TicketEventKind(StrEnum):
    """The entries of a ticket's history."""

    OPENED = "opened"
    MESSAGE = "message"
    EMAIL_IN = "email_in"  # an email from the client, added to the ticket
    EMAIL_OUT = "email_out"  # an automatic email to the client (acknowledgement, notice)
    NOTE = "note"
    ACCOUNT_GIVEN = "account_given"
    ASSIGNED = "assigned"
    PRIORITY_CHANGED = "priority_changed"
    FIRST_RESPONSE = "first_response"
    FOLLOW_UP_QUEUED = "follow_up_queued"
    CALLBACK_REQUESTED = "callback_requested"
    CALLBACK_PLACED = "callback_placed"
    CALLBACK_LOGGED = "callback_logged"
    CALLBACK_DIALING = "callback_dialing"
    CALLBACK_NOT_REACHED = "callback_not_reached"
    CALLBACK_MADE = "callback_made"  # a technician called the client back from their own phone
    CALLBACK_ATTEMPT = "callback_attempt"  # tried from their own phone: no answer, a voicemail
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    VERIFIED = "verified"
    VERIFICATION_CLOSED = "verification_closed"
    TIME_POSTED = "time_posted"
    TIME_CORRECTED = "time_corrected"
    FOLLOWS = "follows"  # opened by the client's answer to a closed ticket: which one
    FOLLOWED_BY = "followed_by"  # the client answered after closing: the ticket that follows
    RECORDING_PURGED = "recording_purged"  # our copy of a message, deleted: RECORDINGS_KEEP_DAYS
