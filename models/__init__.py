"""The SQLAlchemy models. Importing this package registers every table and integrity rule."""

from models import integrity
from models.access import SignInAttempt
from models.base import Base, UTCDateTime, utcnow
from models.calendar import Closure, ScheduleOverride
from models.calls import Call, CallbackRequest, CallEvent, CallRing, Recording
from models.directory import (
    MAX_AUTHORIZED_CONTACTS,
    Client,
    Contact,
    ContactPhone,
    Duty,
    StaffMember,
)
from models.enums import (
    BankReason,
    CallbackState,
    CallDirection,
    CallEventKind,
    CallOutcome,
    Channel,
    DeliveryState,
    Language,
    Line,
    MailDirection,
    NotificationChannel,
    OutboxState,
    OverrideState,
    Role,
    TicketEventKind,
    TicketStatus,
    WhisperAnswer,
    WorkCategory,
    WorkKind,
)
from models.integrity import IntegrityRuleError
from models.mail import EmailMessage, Quarantine
from models.messaging import Installation, Notification, OutboxTask, PagerReply
from models.tickets import BankTransaction, Counter, Survey, Ticket, TicketEvent, TimeEntry

__all__ = [
    "MAX_AUTHORIZED_CONTACTS",
    "BankReason",
    "BankTransaction",
    "Base",
    "Call",
    "CallDirection",
    "CallEvent",
    "CallEventKind",
    "CallOutcome",
    "CallRing",
    "CallbackRequest",
    "CallbackState",
    "Channel",
    "Client",
    "Closure",
    "Contact",
    "ContactPhone",
    "Counter",
    "DeliveryState",
    "Duty",
    "EmailMessage",
    "Installation",
    "IntegrityRuleError",
    "Language",
    "Line",
    "MailDirection",
    "Notification",
    "NotificationChannel",
    "OutboxState",
    "OutboxTask",
    "OverrideState",
    "PagerReply",
    "Quarantine",
    "Recording",
    "Role",
    "ScheduleOverride",
    "SignInAttempt",
    "StaffMember",
    "Survey",
    "Ticket",
    "TicketEvent",
    "TicketEventKind",
    "TicketStatus",
    "TimeEntry",
    "UTCDateTime",
    "WhisperAnswer",
    "WorkCategory",
    "WorkKind",
    "integrity",
    "utcnow",
]
