"""From minutes worked to minutes charged, and who pays them: the bank or the client directly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from billing.rules import Rate, default_rules
from billing.vocabulary import (
    CATEGORY_ALIASES,
    PLANNED,
    URGENCY_ALIASES,
    Category,
    InvalidEntry,
    Reason,
    Urgency,
    Where,
    parse,
    spelled,
    whole_minutes,
)


@dataclass(frozen=True)
class Charge:
    """One time entry, charged. ``bank_minutes + outside_minutes == charged_minutes``."""

    raw_minutes: int
    charged_minutes: int
    bank_minutes: int  # the part a bank may pay (whether it holds enough is split's concern)
    outside_minutes: int  # the part billed to the client outside any bank
    block_minutes: int  # the rounding block (tranche) that applied
    minimum_minutes: int  # the minimum that applied; 0 when none
    why: tuple[Reason, ...]


class Split(NamedTuple):
    """A charge paid against a bank's balance: what the bank pays, what is billed outside it."""

    bank_paid: int
    overage: int


def charge(urgency: str, where: str, minutes: int, has_bank: bool, category: str) -> Charge:
    """Charge ``minutes`` worked as the policy says; raise InvalidEntry for a value it refuses.

    ``urgency`` is "regular", "urgent" or "planned" (planned work counts as regular), ``where``
    "phone" or "onsite", ``category`` "support", "training" or "ddm" ("change_request" too).
    """
    level = parse(Urgency, "urgency", urgency, URGENCY_ALIASES)
    place = parse(Where, "where", where)
    kind = parse(Category, "category", category, CATEGORY_ALIASES)
    raw = whole_minutes("minutes", minutes, minimum=1)
    if not isinstance(has_bank, bool):  # "no" or 0 from a form must not pass for a bank
        raise InvalidEntry(
            "not_true_or_false",
            "has_bank: expected true or false, not %(value)r",
            value=has_bank,
        )
    rules = default_rules()
    banked = has_bank and kind not in rules.not_bankable
    why = _context(urgency, has_bank, kind in rules.not_bankable)
    return _charged(rules.rate(level, place), raw, banked, why)


def _context(urgency: object, has_bank: bool, not_bankable: bool) -> list[Reason]:
    """The reasons that come from the entry itself, before any arithmetic."""
    why = []
    if spelled(urgency) == PLANNED:
        why.append(Reason.PLANNED_AS_REGULAR)
    if not has_bank:
        why.append(Reason.NO_BANK)
    if not_bankable:
        why.append(Reason.CATEGORY_NOT_BANKABLE)
    return why


def _charged(rate: Rate, raw: int, banked: bool, why: list[Reason]) -> Charge:
    # Without a bank (or for work a bank cannot pay) the only minimum is one block.
    block = rate.bank_block if banked else rate.no_bank_block
    minimum = rate.bank_minimum if banked else 0
    floor = max(raw, minimum)  # the minimum first, then round up
    charged = -(-floor // block) * block
    if minimum > raw:
        why.append(Reason.MINIMUM_APPLIED)
    if charged > floor:
        why.append(Reason.ROUNDED_TO_BLOCK)
    return Charge(
        raw_minutes=raw,
        charged_minutes=charged,
        bank_minutes=charged if banked else 0,
        outside_minutes=0 if banked else charged,
        block_minutes=block,
        minimum_minutes=minimum,
        why=tuple(why),
    )


def split_against_balance(charge: Charge, balance_minutes: int) -> Split:
    """Pay what the bank may pay from what it holds; the rest is billed outside the bank.

    This is the "bank runs out mid-entry" rule. A balance at or below zero pays nothing. The
    overage keeps the charge's rounding: the entry is not charged again at other blocks.
    """
    if not isinstance(balance_minutes, int) or isinstance(balance_minutes, bool):
        raise InvalidEntry(
            "not_whole_balance",
            "balance_minutes: %(value)r is not a whole number",
            value=balance_minutes,
        )
    paid = min(charge.bank_minutes, max(balance_minutes, 0))
    return Split(bank_paid=paid, overage=charge.charged_minutes - paid)
