"""Charging support time to hour banks, as the published policy says. Plain Python, no I/O.

``charge`` turns minutes worked into minutes charged (blocks, minimums, what a bank may pay),
``split_against_balance`` pays that from what a bank holds, ``travel`` says what travel is billed
on top. The rules are the table in ``billing/rules.toml``.
"""

from billing.charging import Charge, Split, charge, split_against_balance
from billing.rules import Rate, Rules, RulesError, load_rules
from billing.travel import TravelCharge, travel
from billing.vocabulary import Category, InvalidEntry, Reason, Urgency, Where

__all__ = [
    "Category",
    "Charge",
    "InvalidEntry",
    "Rate",
    "Reason",
    "Rules",
    "RulesError",
    "Split",
    "TravelCharge",
    "Urgency",
    "Where",
    "charge",
    "load_rules",
    "split_against_balance",
    "travel",
]
