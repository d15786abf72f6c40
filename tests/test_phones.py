from __future__ import annotations

import pytest

from phones import InvalidPhoneNumber, masked, to_e164


@pytest.mark.parametrize(
    "typed",
    ["514 555-0101", "(514) 555-0101", "+1 514 555 0101", "1-514-555-0101", "5145550101"],
)
def test_numbers_as_people_type_them_become_e164(typed: str) -> None:
    assert to_e164(typed) == "+15145550101"


@pytest.mark.parametrize("bad", ["555-0101", "hello", "", "+1 514 555", "12"])
def test_an_invalid_number_is_refused_with_field_and_value(bad: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as caught:
        to_e164(bad, field="mobile")
    assert "mobile" in str(caught.value)
    assert repr(bad) in str(caught.value)


def test_a_masked_number_keeps_only_its_ends() -> None:
    assert masked("+15145550101") == "+1514…01"
