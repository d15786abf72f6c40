"""Email addresses people type: one address mail can be sent to, stored in one form."""

from __future__ import annotations

import pytest

from email_addresses import InvalidEmailAddress, normalized


def test_an_address_keeps_its_local_part_and_lowers_its_domain() -> None:
    assert normalized("Marie@Boulangerie.EXAMPLE") == "Marie@boulangerie.example"


@pytest.mark.parametrize(
    "typed",
    [
        "a@b.example\r\nBcc: c@d.example",  # a header smuggled into every message sent to it
        "a@b.example\n",
        "a@b.example, c@d.example",
        "Marie <marie@boulangerie.example>",
        "marie",
        "marie@",
        "@boulangerie.example",
        "marie@boulangerie",
        "marie@[192.0.2.1]",
        "marie tremblay@boulangerie.example",
        "marie@boulangerie..example",
        "marie@-boulangerie.example",  # a label that is no host name's
        "marie@boulangerie_st.example",
        "marie@boulangerie.example%relay.example",  # the old routing trick
    ],
)
def test_anything_but_one_plain_address_is_refused(typed: str) -> None:
    with pytest.raises(InvalidEmailAddress) as caught:
        normalized(typed, field="email")
    assert str(caught.value) == f"email: {typed!r} is not a valid email address"


def test_an_international_domain_is_a_host_name() -> None:
    assert normalized("marie@boulangerie-élise.example") == "marie@boulangerie-élise.example"
