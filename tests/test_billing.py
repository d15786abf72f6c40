"""Charging support time: the policy's table at every block boundary, banks, travel, bad input."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import pytest

import billing
from billing import Charge, InvalidEntry, Reason, RulesError, load_rules
from billing.rules import DEFAULT_FILE
from models.enums import Line, WorkCategory, WorkKind

MINIMUM = Reason.MINIMUM_APPLIED
ROUNDED = Reason.ROUNDED_TO_BLOCK
NO_BANK = Reason.NO_BANK
NOT_BANKABLE = Reason.CATEGORY_NOT_BANKABLE

# The policy's table written out here, not read from rules.toml, so that a wrong table fails.
# urgency, where, with a bank: block, minimum, without a bank: block
POLICY = [
    ("regular", "phone", 15, 0, 30),
    ("regular", "onsite", 30, 60, 60),
    ("urgent", "phone", 30, 60, 60),
    ("urgent", "onsite", 60, 120, 120),
]


def test_the_shipped_table_is_the_policys() -> None:
    rules = load_rules()
    shipped = [
        (r.urgency, r.where, r.bank_block, r.bank_minimum, r.no_bank_block)
        for r in rules.rates.values()
    ]
    assert sorted(shipped) == sorted(POLICY)
    assert rules.not_bankable == {"training", "ddm"}
    assert rules.free_travel_radius_km == 25


# With a bank, support: minutes worked -> minutes charged, and why.
@pytest.mark.parametrize(
    ("urgency", "where", "worked", "charged", "why"),
    [
        ("regular", "phone", 1, 15, (ROUNDED,)),
        ("regular", "phone", 15, 15, ()),  # exactly one block
        ("regular", "phone", 16, 30, (ROUNDED,)),  # one minute over
        ("regular", "phone", 30, 30, ()),
        ("regular", "phone", 31, 45, (ROUNDED,)),
        ("regular", "onsite", 1, 60, (MINIMUM,)),
        ("regular", "onsite", 30, 60, (MINIMUM,)),  # one block is under the minimum
        ("regular", "onsite", 59, 60, (MINIMUM,)),  # one minute under the minimum
        ("regular", "onsite", 60, 60, ()),  # the minimum
        ("regular", "onsite", 61, 90, (ROUNDED,)),
        ("regular", "onsite", 90, 90, ()),
        ("regular", "onsite", 91, 120, (ROUNDED,)),
        ("urgent", "phone", 1, 60, (MINIMUM,)),
        ("urgent", "phone", 30, 60, (MINIMUM,)),
        ("urgent", "phone", 59, 60, (MINIMUM,)),
        ("urgent", "phone", 60, 60, ()),
        ("urgent", "phone", 61, 90, (ROUNDED,)),
        ("urgent", "phone", 90, 90, ()),
        ("urgent", "phone", 91, 120, (ROUNDED,)),
        ("urgent", "onsite", 1, 120, (MINIMUM,)),
        ("urgent", "onsite", 60, 120, (MINIMUM,)),
        ("urgent", "onsite", 119, 120, (MINIMUM,)),
        ("urgent", "onsite", 120, 120, ()),
        ("urgent", "onsite", 121, 180, (ROUNDED,)),
        ("urgent", "onsite", 180, 180, ()),
        ("urgent", "onsite", 181, 240, (ROUNDED,)),
        ("regular", "phone", 1439, 1440, (ROUNDED,)),
        ("urgent", "onsite", 1440, 1440, ()),  # a whole day is the most one entry holds
    ],
)
def test_with_a_bank_support_is_charged_to_the_bank_in_bank_blocks_after_the_minimum(
    urgency: str, where: str, worked: int, charged: int, why: tuple[Reason, ...]
) -> None:
    result = billing.charge(urgency, where, worked, True, "support")
    assert result.charged_minutes == charged
    assert (result.bank_minutes, result.outside_minutes) == (charged, 0)
    assert result.why == why


# Without a bank: the no-bank block, no minimum other than one block, all billed outside.
@pytest.mark.parametrize(
    ("urgency", "where", "worked", "charged"),
    [
        ("regular", "phone", 1, 30),
        ("regular", "phone", 15, 30),
        ("regular", "phone", 29, 30),
        ("regular", "phone", 30, 30),
        ("regular", "phone", 31, 60),
        ("regular", "onsite", 1, 60),
        ("regular", "onsite", 59, 60),
        ("regular", "onsite", 60, 60),
        ("regular", "onsite", 61, 120),
        ("urgent", "phone", 1, 60),
        ("urgent", "phone", 59, 60),
        ("urgent", "phone", 60, 60),
        ("urgent", "phone", 61, 120),
        ("urgent", "onsite", 1, 120),
        ("urgent", "onsite", 119, 120),
        ("urgent", "onsite", 120, 120),
        ("urgent", "onsite", 121, 240),
        ("urgent", "onsite", 1440, 1440),
    ],
)
def test_without_a_bank_time_is_billed_outside_in_the_larger_blocks(
    urgency: str, where: str, worked: int, charged: int
) -> None:
    result = billing.charge(urgency, where, worked, False, "support")
    assert result.charged_minutes == charged
    assert (result.bank_minutes, result.outside_minutes) == (0, charged)
    assert result.minimum_minutes == 0
    assert NO_BANK in result.why
    assert (MINIMUM in result.why) is False
    assert (ROUNDED in result.why) == (charged > worked)


def test_a_charge_reports_the_block_and_minimum_that_applied() -> None:
    assert billing.charge("urgent", "onsite", 61, True, "support") == Charge(
        raw_minutes=61,
        charged_minutes=120,
        bank_minutes=120,
        outside_minutes=0,
        block_minutes=60,
        minimum_minutes=120,
        why=(MINIMUM,),
    )
    assert billing.charge("urgent", "onsite", 61, False, "support") == Charge(
        raw_minutes=61,
        charged_minutes=120,
        bank_minutes=0,
        outside_minutes=120,
        block_minutes=120,
        minimum_minutes=0,
        why=(NO_BANK, ROUNDED),
    )


@pytest.mark.parametrize("category", ["training", "ddm"])
@pytest.mark.parametrize(
    ("urgency", "where", "worked", "charged"),
    [
        ("regular", "phone", 16, 30),  # with a bank it would be 30 in 15-minute blocks too
        ("regular", "phone", 31, 60),
        ("regular", "onsite", 1, 60),
        ("regular", "onsite", 61, 120),
        ("urgent", "phone", 1, 60),
        ("urgent", "phone", 61, 120),
        ("urgent", "onsite", 1, 120),
        ("urgent", "onsite", 121, 240),
    ],
)
def test_a_bank_never_pays_for_training_or_a_change_request(
    category: str, urgency: str, where: str, worked: int, charged: int
) -> None:
    result = billing.charge(urgency, where, worked, True, category)
    assert result.charged_minutes == charged
    assert (result.bank_minutes, result.outside_minutes) == (0, charged)
    assert result.minimum_minutes == 0
    assert NOT_BANKABLE in result.why
    assert NO_BANK not in result.why  # the client has a bank; it just cannot pay for this


def test_training_without_a_bank_gives_both_reasons() -> None:
    result = billing.charge("regular", "phone", 10, False, "training")
    assert result.why == (NO_BANK, NOT_BANKABLE, ROUNDED)


@pytest.mark.parametrize(
    ("where", "worked", "charged"), [("phone", 16, 30), ("onsite", 1, 60), ("onsite", 61, 90)]
)
def test_planned_work_is_charged_as_regular_work(where: str, worked: int, charged: int) -> None:
    planned = billing.charge("planned", where, worked, True, "support")
    regular = billing.charge("regular", where, worked, True, "support")
    assert planned.charged_minutes == regular.charged_minutes == charged
    assert planned.why == (Reason.PLANNED_AS_REGULAR, *regular.why)


def test_the_models_enums_are_accepted() -> None:
    result = billing.charge(Line.URGENT, WorkKind.ONSITE, 1, True, WorkCategory.SUPPORT)
    assert result.charged_minutes == 120
    change = billing.charge(Line.REGULAR, WorkKind.PHONE, 5, True, WorkCategory.CHANGE_REQUEST)
    assert change.bank_minutes == 0
    assert NOT_BANKABLE in change.why


class OldStyle(str, Enum):  # noqa: UP042 -- the older spelling of a str enum, on purpose
    URGENT = "urgent"
    PHONE = "phone"


def test_a_str_valued_enum_that_is_not_a_strenum_is_accepted() -> None:
    result = billing.charge(OldStyle.URGENT, OldStyle.PHONE, 1, True, billing.Category.SUPPORT)
    assert result.charged_minutes == 60


def test_reason_codes_are_plain_machine_strings() -> None:
    why = billing.charge("planned", "onsite", 1, False, "ddm").why
    assert list(why) == [
        "planned_counts_as_regular",
        "no_bank",
        "category_not_bankable",
        "rounded_to_block",
    ]


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        (0, "minutes: 0 is not between 1 and 1440 minutes"),
        (-15, "minutes: -15 is not between 1 and 1440 minutes"),
        (24 * 60 + 1, "minutes: 1441 is not between 1 and 1440 minutes"),
        (1.5, "minutes: 1.5 is not a whole number of minutes"),
        ("30", "minutes: '30' is not a whole number of minutes"),
        (True, "minutes: True is not a whole number of minutes"),
    ],
)
def test_minutes_outside_one_minute_to_a_day_are_refused(minutes: object, message: str) -> None:
    with pytest.raises(InvalidEntry) as refused:
        billing.charge("regular", "phone", minutes, True, "support")  # type: ignore[arg-type]
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("field", "entry", "message"),
    [
        ("urgency", ("critical", "phone", "support"), "allowed: regular, urgent, planned"),
        ("urgency", ("Urgent", "phone", "support"), "allowed: regular, urgent, planned"),
        ("where", ("regular", "remote", "support"), "allowed: phone, onsite"),
        ("category", ("regular", "phone", "sales"), "allowed: support, training, ddm"),
    ],
)
def test_unknown_values_are_refused_naming_the_value_and_the_allowed_ones(
    field: str, entry: tuple[str, str, str], message: str
) -> None:
    urgency, where, category = entry
    with pytest.raises(InvalidEntry, match=f"^{field}: unknown value ") as refused:
        billing.charge(urgency, where, 30, True, category)
    assert message in str(refused.value)
    bad = {"urgency": urgency, "where": where, "category": category}[field]
    assert repr(bad) in str(refused.value)


def test_a_refused_entry_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="urgency"):
        billing.charge("soon", "phone", 30, True, "support")


def test_has_bank_must_be_true_or_false() -> None:
    with pytest.raises(InvalidEntry, match="has_bank: expected true or false, not 'no'"):
        billing.charge("regular", "phone", 30, "no", "support")  # type: ignore[arg-type]


# The bank runs out mid-entry: it pays what it holds, the rest is billed outside.
@pytest.mark.parametrize(
    ("balance", "paid", "overage"),
    [(600, 90, 0), (90, 90, 0), (60, 60, 30), (1, 1, 89), (0, 0, 90), (-30, 0, 90)],
)
def test_a_bank_pays_what_its_balance_holds(balance: int, paid: int, overage: int) -> None:
    charge = billing.charge("regular", "onsite", 61, True, "support")  # 90 minutes
    assert billing.split_against_balance(charge, balance) == (paid, overage)


def test_a_bank_pays_nothing_for_work_it_cannot_pay_for() -> None:
    training = billing.charge("regular", "onsite", 61, True, "training")  # 120 minutes
    assert billing.split_against_balance(training, 600) == (0, 120)
    no_bank = billing.charge("regular", "phone", 10, False, "support")
    assert billing.split_against_balance(no_bank, 600) == (0, 30)


def test_a_split_names_its_parts() -> None:
    split = billing.split_against_balance(billing.charge("urgent", "phone", 5, True, "support"), 45)
    assert (split.bank_paid, split.overage) == (45, 15)


def test_a_balance_must_be_whole_minutes() -> None:
    charge = billing.charge("regular", "phone", 10, True, "support")
    with pytest.raises(InvalidEntry, match=r"balance_minutes: 1\.5 is not a whole number"):
        billing.split_against_balance(charge, 1.5)  # type: ignore[arg-type]


# Travel: billed on top beyond 25 km of downtown Montreal, never from the bank.
@pytest.mark.parametrize("distance", [0, 12.5, 24.9, 25, 25.0])
def test_travel_within_25_km_inclusive_is_not_billed(distance: float) -> None:
    result = billing.travel(distance, 40, 1500)
    assert (result.charged_travel_minutes, result.charged_expenses_cents) == (0, 0)
    assert result.why == (Reason.TRAVEL_WITHIN_RADIUS,)


@pytest.mark.parametrize("distance", [25.01, 26, 48.0])
def test_travel_beyond_25_km_is_billed_as_is_without_rounding(distance: float) -> None:
    result = billing.travel(distance, 37, 1500)
    assert (result.charged_travel_minutes, result.charged_expenses_cents) == (37, 1500)
    assert result.why == (Reason.TRAVEL_BEYOND_RADIUS,)
    assert result.free_radius_km == 25


def test_phone_work_has_no_travel() -> None:
    assert billing.travel(48, 0, 0, where="phone").charged_travel_minutes == 0
    with pytest.raises(InvalidEntry, match="phone work has no travel"):
        billing.travel(48, 30, 0, where=WorkKind.PHONE)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ((-1, 30, 0), "distance_km: -1 is negative"),
        ((float("nan"), 30, 0), "distance_km: nan is not a distance in kilometres"),
        (("30", 30, 0), "distance_km: '30' is not a distance in kilometres"),
        ((30, -5, 0), "travel_minutes: -5 is not between 0 and 1440 minutes"),
        ((30, 1441, 0), "travel_minutes: 1441 is not between 0 and 1440 minutes"),
        ((30, 30, -100), "expenses_cents: -100 is negative"),
        ((30, 30, 12.5), "expenses_cents: 12.5 is not a whole number of cents"),
    ],
)
def test_bad_travel_is_refused(entry: tuple[float, int, int], message: str) -> None:
    with pytest.raises(InvalidEntry) as refused:
        billing.travel(*entry)
    assert str(refused.value) == message


# A bad table is refused when read, naming the row.
def _table_with(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "rules.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "bank_block = 30, bank_minimum = 60,  no_bank_block = 60 },",
            "bank_block = 0, bank_minimum = 60,  no_bank_block = 60 },",
            "rates row 2 (regular, onsite): bank_block must be a whole number of at least 1",
        ),
        (
            "bank_minimum = 120,",
            "bank_minimum = -1,",
            "rates row 4 (urgent, onsite): bank_minimum must be a whole number of at least 0",
        ),
        ('urgency = "urgent",  where = "phone"', 'urgency = "cata",  where = "phone"', "row 3"),
        ('urgency = "urgent",  where = "phone"', 'urgency = "regular", where = "phone"', "second"),
        ("no_bank_block = 30 }", "no_bank_block = 30, note = 1 }", "rates row 1: expected"),
        ('["training", "ddm"]', '["training", "sales"]', "not_bankable: unknown value 'sales'"),
        ("free_travel_radius_km = 25", "free_travel_radius_km = -25", "must not be negative"),
    ],
)
def test_a_bad_table_is_refused_naming_the_row(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    with pytest.raises(RulesError, match=r"rules\.toml: ") as refused:
        load_rules(_table_with(tmp_path, old, new))
    assert message in str(refused.value)


def test_a_table_missing_a_row_is_refused(tmp_path: Path) -> None:
    last = '    { urgency = "urgent",  where = "onsite"'
    path = _table_with(tmp_path, last, "    # " + last.strip())
    with pytest.raises(RulesError, match="rates: no row for urgent onsite"):
        load_rules(path)
