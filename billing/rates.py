"""The price list of hour banks (``billing/rates.toml``): more hours cost less per hour."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from billing.vocabulary import InvalidEntry

RATES_FILE = Path(__file__).with_name("rates.toml")
MAX_HOURS = 1000  # more in one purchase is a typing mistake


@dataclass(frozen=True)
class Tier:
    from_hours: int
    cents_per_hour: int


@dataclass(frozen=True)
class PriceList:
    tiers: tuple[Tier, ...]  # by from_hours, ascending
    net_days: int


@dataclass(frozen=True)
class Price:
    hours: int
    cents_per_hour: int
    total_cents: int
    due_on: date


@functools.cache
def price_list() -> PriceList:
    """The packaged price list, read once and checked."""
    data = tomllib.loads(RATES_FILE.read_text(encoding="utf-8"))
    tiers = tuple(
        sorted(
            (Tier(int(row["from_hours"]), int(row["cents_per_hour"])) for row in data["tiers"]),
            key=lambda tier: tier.from_hours,
        )
    )
    if not tiers or tiers[0].from_hours != 1:
        raise ValueError(f"{RATES_FILE}: the first tier must start at 1 hour")
    return PriceList(tiers, int(data["net_days"]))


def price(hours: object, bought_on: date) -> Price:
    """What ``hours`` cost per hour and in all, and when it is due; InvalidEntry if not hours."""
    if not isinstance(hours, int) or isinstance(hours, bool):
        raise InvalidEntry(
            "not_whole_hours", "hours: %(value)r is not a whole number of hours", value=hours
        )
    if not 1 <= hours <= MAX_HOURS:
        raise InvalidEntry(
            "hours_out_of_range",
            "hours: %(value)s is not between 1 and %(n)d",
            value=hours,
            n=MAX_HOURS,
        )
    prices = price_list()
    rate = [tier for tier in prices.tiers if tier.from_hours <= hours][-1].cents_per_hour
    return Price(hours, rate, rate * hours, bought_on + timedelta(days=prices.net_days))
