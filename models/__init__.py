"""The SQLAlchemy models. Importing this package registers every table and integrity rule."""

from models import integrity
from models.base import Base, UTCDateTime, utcnow
from models.calendar import Closure, ScheduleOverride
from models.calls import Call, CallEvent
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
    Channel,
    DeliveryState,
    Language,
    Line,
    NotificationChannel,
    OutboxState,
    OverrideState,
    Role,
    TicketStatus,
    WorkCategory,
    WorkKind,
)
from models.integrity import IntegrityRuleError
from models.messaging import Notification, OutboxTask
from models.tickets import BankTransaction, Counter, Survey, Ticket, TicketEvent, TimeEntry

__all__ = [
    "MAX_AUTHORIZED_CONTACTS",
    "BankReason",
    "BankTransaction",
    "Base",
    "Call",
    "CallEvent",
    "Channel",
    "Client",
    "Closure",
    "Contact",
    "ContactPhone",
    "Counter",
    "DeliveryState",
    "Duty",
    "IntegrityRuleError",
    "Language",
    "Line",
    "Notification",
    "NotificationChannel",
    "OutboxState",
    "OutboxTask",
    "OverrideState",
    "Role",
    "ScheduleOverride",
    "StaffMember",
    "Survey",
    "Ticket",
    "TicketEvent",
    "TicketStatus",
    "TimeEntry",
    "UTCDateTime",
    "WorkCategory",
    "WorkKind",
    "integrity",
    "utcnow",
]
