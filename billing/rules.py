"""The charging table, read from TOML and checked once; an error names the file and the row."""

from __future__ import annotations

import functools
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from billing.vocabulary import Category, InvalidEntry, Urgency, Where, parse

DEFAULT_FILE = Path(__file__).with_name("rules.toml")
RATE_KEYS = ("urgency", "where", "bank_block", "bank_minimum", "no_bank_block")


class RulesError(ValueError):
    """A charging table that cannot be used; the message says what is wrong and where."""


@dataclass(frozen=True)
class Rate:
    """One row of the policy's table, in minutes; a bank minimum of 0 means none."""

    urgency: Urgency
    where: Where
    bank_block: int
    bank_minimum: int
    no_bank_block: int


@dataclass(frozen=True)
class Rules:
    rates: Mapping[tuple[Urgency, Where], Rate]
    not_bankable: frozenset[Category]
    free_travel_radius_km: float

    def rate(self, urgency: Urgency, where: Where) -> Rate:
        return self.rates[urgency, where]


def load_rules(path: Path | str | None = None) -> Rules:
    """Read and check a charging table; raise RulesError naming the file and the bad row."""
    path = Path(path) if path else DEFAULT_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return Rules(
            rates=_rates(data.get("rates")),
            not_bankable=_not_bankable(data.get("not_bankable")),
            free_travel_radius_km=_radius(data.get("free_travel_radius_km")),
        )
    except (OSError, tomllib.TOMLDecodeError, RulesError) as error:
        raise RulesError(f"{path}: {error}") from None


@functools.cache
def default_rules() -> Rules:
    """The policy's own table, read on first use and then kept: it ships with the code."""
    return load_rules()


def _rates(rows: Any) -> dict[tuple[Urgency, Where], Rate]:
    if not isinstance(rows, list):
        raise RulesError("rates: expected a list of rows")
    rates: dict[tuple[Urgency, Where], Rate] = {}
    for number, row in enumerate(rows, start=1):
        rate = _rate(f"rates row {number}", row)
        if (rate.urgency, rate.where) in rates:
            raise RulesError(f"rates row {number}: a second row for {rate.urgency} {rate.where}")
        rates[rate.urgency, rate.where] = rate
    for urgency in Urgency:
        for where in Where:
            if (urgency, where) not in rates:
                raise RulesError(f"rates: no row for {urgency} {where}")
    return rates


def _rate(name: str, row: Any) -> Rate:
    if not isinstance(row, dict) or set(row) != set(RATE_KEYS):
        raise RulesError(f"{name}: expected exactly the keys {', '.join(RATE_KEYS)}")
    try:
        urgency = parse(Urgency, "urgency", row["urgency"])
        where = parse(Where, "where", row["where"])
    except InvalidEntry as error:
        raise RulesError(f"{name}: {error}") from None
    name = f"{name} ({urgency}, {where})"
    return Rate(
        urgency,
        where,
        bank_block=_whole(name, row, "bank_block", minimum=1),
        bank_minimum=_whole(name, row, "bank_minimum", minimum=0),
        no_bank_block=_whole(name, row, "no_bank_block", minimum=1),
    )


def _whole(name: str, row: dict[str, Any], key: str, minimum: int) -> int:
    value = row[key]
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise RulesError(f"{name}: {key} must be a whole number of at least {minimum}")
    return value


def _not_bankable(values: Any) -> frozenset[Category]:
    if not isinstance(values, list):
        raise RulesError("not_bankable: expected a list of categories")
    try:
        return frozenset(parse(Category, "not_bankable", value) for value in values)
    except InvalidEntry as error:
        raise RulesError(str(error)) from None


def _radius(value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise RulesError("free_travel_radius_km: expected a number of kilometres")
    if value < 0:
        raise RulesError("free_travel_radius_km: must not be negative")
    return float(value)
