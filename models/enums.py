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


class NotificationChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxState(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"


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


class OverrideState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
