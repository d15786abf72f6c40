"""The words a time entry is described with, and the reason codes a charge explains itself by."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import TypeVar

from refusals import Refused

MAX_MINUTES = 24 * 60  # one entry is at most a day's work; more is a typing mistake


class InvalidEntry(Refused):
    """A time entry that cannot be charged; the key and values say which value is wrong and why."""


class Urgency(StrEnum):
    REGULAR = "regular"
    URGENT = "urgent"


class Where(StrEnum):
    PHONE = "phone"
    ONSITE = "onsite"


class Category(StrEnum):
    SUPPORT = "support"
    TRAINING = "training"
    DDM = "ddm"  # demande de modification: a change request


class Reason(StrEnum):
    """Machine codes for why a charge differs from the raw minutes; the UI translates them."""

    PLANNED_AS_REGULAR = "planned_counts_as_regular"
    NO_BANK = "no_bank"
    CATEGORY_NOT_BANKABLE = "category_not_bankable"
    MINIMUM_APPLIED = "minimum_applied"
    ROUNDED_TO_BLOCK = "rounded_to_block"
    TRAVEL_WITHIN_RADIUS = "travel_within_radius"
    TRAVEL_BEYOND_RADIUS = "travel_beyond_radius"


# "L'imputation du temps pour les appels non urgents (ou pour du travail planifié à l'avance)":
# planned work is charged as regular work, by phone and on site alike.
PLANNED = "planned"
URGENCY_ALIASES: Mapping[str, Urgency] = {PLANNED: Urgency.REGULAR}
# models.WorkCategory spells a change request "change_request"; both spellings mean a DDM.
CATEGORY_ALIASES: Mapping[str, Category] = {"change_request": Category.DDM}

E = TypeVar("E", bound=StrEnum)


def parse(
    vocabulary: type[E], field: str, value: object, aliases: Mapping[str, E] | None = None
) -> E:
    """``value`` as a member of ``vocabulary``: a plain string or any str-valued enum member."""
    aliases = aliases or {}
    value = spelled(value)
    if isinstance(value, str):
        text = str(value)
        if text in aliases:
            return aliases[text]
        try:
            return vocabulary(text)
        except ValueError:
            pass
    allowed = ", ".join([*(member.value for member in vocabulary), *aliases])
    raise InvalidEntry(
        "unknown_value",
        "%(field)s: unknown value %(value)r (allowed: %(allowed)s)",
        field=field,
        value=value,
        allowed=allowed,
    )


def spelled(value: object) -> object:
    """The value an enum member stands for (another package's, such as models.WorkKind)."""
    return value.value if isinstance(value, Enum) else value


def whole_minutes(field: str, value: object, minimum: int, maximum: int = MAX_MINUTES) -> int:
    """A whole number of minutes between ``minimum`` and ``maximum`` inclusive."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidEntry(
            "not_whole_minutes",
            "%(field)s: %(value)r is not a whole number of minutes",
            field=field,
            value=value,
        )
    if not minimum <= value <= maximum:
        raise InvalidEntry(
            "minutes_out_of_range",
            "%(field)s: %(value)s is not between %(low)d and %(high)d minutes",
            field=field,
            value=value,
            low=minimum,
            high=maximum,
        )
    return value
