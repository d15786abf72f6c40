"""Travel to a client's site: billed on top of the work beyond the free radius, never from a bank.

The policy names travel only for on-site work ("pour toute intervention sur place ... le temps de
transport et les frais de déplacement au-delà d'un rayon de 25 km du centre-ville de Montréal sont
en sus (s'il y a lieu)"), so phone work has none. It says nothing of blocks or minimums for travel:
travel time is billed as driven, not rounded, and does not count toward the work's minimum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from billing.rules import default_rules
from billing.vocabulary import MAX_MINUTES, InvalidEntry, Reason, Where, parse, whole_minutes


@dataclass(frozen=True)
class TravelCharge:
    """What travel adds to an on-site entry, always billed outside the bank; 0 within the radius."""

    distance_km: float
    free_radius_km: float
    charged_travel_minutes: int
    charged_expenses_cents: int
    why: tuple[Reason, ...]


def travel(
    distance_km: float, travel_minutes: int, expenses_cents: int, *, where: str = Where.ONSITE
) -> TravelCharge:
    """Bill travel time and expenses when the site is strictly beyond the free radius.

    "au-delà d'un rayon de 25 km" is beyond: a site at exactly 25 km is inside, not billed.
    """
    distance = _distance(distance_km)
    minutes = whole_minutes("travel_minutes", travel_minutes, minimum=0, maximum=MAX_MINUTES)
    cents = _cents(expenses_cents)
    if parse(Where, "where", where) is Where.PHONE and (minutes or cents):
        raise InvalidEntry("phone_no_travel", "travel: phone work has no travel time or expenses")
    radius = default_rules().free_travel_radius_km
    if distance <= radius:
        return TravelCharge(distance, radius, 0, 0, (Reason.TRAVEL_WITHIN_RADIUS,))
    return TravelCharge(distance, radius, minutes, cents, (Reason.TRAVEL_BEYOND_RADIUS,))


def _distance(value: object) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise InvalidEntry(
            "not_distance", "distance_km: %(value)r is not a distance in kilometres", value=value
        )
    if value < 0:
        raise InvalidEntry("negative_distance", "distance_km: %(value)s is negative", value=value)
    return float(value)


def _cents(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidEntry(
            "not_cents", "expenses_cents: %(value)r is not a whole number of cents", value=value
        )
    if value < 0:
        raise InvalidEntry(
            "negative_expenses", "expenses_cents: %(value)s is negative", value=value
        )
    return value
