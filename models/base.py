"""The declarative base and the column types every model shares."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import DateTime, Dialect, Enum, MetaData
from sqlalchemy.orm import DeclarativeBase, Session, object_session
from sqlalchemy.types import TypeDecorator

# Named constraints let Alembic alter them later, on SQLite too.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored in UTC and read back aware, on every database.

    SQLite keeps no offset, so a naive value read from it is UTC by construction; a naive value
    written by the code is a bug, and is refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: give a time-zone-aware datetime")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


Clock = Callable[[], datetime]
# The execution option, and the session's info key, that carry a unit of work's clock.
CLOCK = "clock"


def utcnow() -> datetime:
    """This host's clock, in UTC: for what runs the machinery (heartbeats, the outbox's timing),
    never for what the helpdesk decides; that asks the unit of work's clock (``now``)."""
    return datetime.now(UTC)


def current_time(of: Session | object) -> datetime:
    """The moment, by the clock of whoever opened this unit of work (a session, or the session
    an object belongs to): the context's, which is the host's unless a simulation moved it
    (``flask call simulate --at``)."""
    session = of if isinstance(of, Session) else object_session(of)
    if session is None:
        raise ValueError(f"{of!r} belongs to no session: no unit of work to tell the time of")
    clock: Clock = session.info.get(CLOCK, utcnow)
    return clock()


def default_now(context: Any) -> datetime:
    """A column's default: the clock of the statement's unit of work (its execution option,
    set by the session factory), so defaults and ``now`` agree."""
    clock: Clock = context.execution_options.get(CLOCK, utcnow)
    return clock()


def _enum_values(enum_class: type[enum.Enum]) -> list[str]:
    return [str(member.value) for member in enum_class]


def text_enum(enum_class: type[enum.Enum], length: int) -> Enum:
    """An enum stored as text of ``length`` characters (wider than the default 20)."""
    return Enum(enum_class, native_enum=False, length=length, values_callable=_enum_values)


def event_kind(enum_class: type[enum.Enum]) -> Enum:
    """The column type of an event's kind: the enum's values, as text of up to 40 characters."""
    return text_enum(enum_class, 40)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Enums are stored as plain strings of their values: readable in SQL, portable, and adding a
    # member needs no ALTER TYPE.
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        enum.Enum: Enum(enum.Enum, native_enum=False, length=20, values_callable=_enum_values),
        datetime: UTCDateTime(),
    }
