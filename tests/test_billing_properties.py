"""Whatever the entry, a charge is whole blocks, never less than worked, and splits exactly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import billing
from billing import Charge, Reason

entries = st.builds(
    billing.charge,
    urgency=st.sampled_from(["regular", "urgent", "planned"]),
    where=st.sampled_from(["phone", "onsite"]),
    minutes=st.integers(min_value=1, max_value=24 * 60),
    has_bank=st.booleans(),
    category=st.sampled_from(["support", "training", "ddm"]),
)
balances = st.integers(min_value=-24 * 60, max_value=10 * 24 * 60)


@given(entries)
def test_charged_is_never_less_than_worked(charge: Charge) -> None:
    assert charge.charged_minutes >= charge.raw_minutes


@given(entries)
def test_charged_is_a_whole_number_of_blocks(charge: Charge) -> None:
    assert charge.charged_minutes % charge.block_minutes == 0
    assert charge.charged_minutes - charge.block_minutes < max(
        charge.raw_minutes, charge.minimum_minutes
    )  # and not a block more than needed


@given(entries)
def test_bank_and_outside_add_up_to_charged(charge: Charge) -> None:
    assert charge.bank_minutes + charge.outside_minutes == charge.charged_minutes
    assert 0 in (charge.bank_minutes, charge.outside_minutes)


@given(entries)
def test_with_a_bank_the_minimum_is_charged(charge: Charge) -> None:
    assert charge.charged_minutes >= charge.minimum_minutes
    if charge.bank_minutes:
        assert Reason.NO_BANK not in charge.why
        assert Reason.CATEGORY_NOT_BANKABLE not in charge.why
    else:
        assert charge.minimum_minutes == 0


@given(entries, balances)
def test_a_split_is_never_negative_and_adds_up(charge: Charge, balance: int) -> None:
    paid, overage = billing.split_against_balance(charge, balance)
    assert paid >= 0
    assert overage >= 0
    assert paid + overage == charge.charged_minutes
    assert paid <= max(balance, 0)
    assert paid <= charge.bank_minutes
    if balance >= charge.bank_minutes:  # enough in the bank: only what it cannot pay is billed
        assert overage == charge.outside_minutes
