"""What the console may write about a customer: tags, a consent decision, the list's cursor."""

from __future__ import annotations

import pytest

from bancone_notifier.domain.customers import (
    CustomerInputError,
    checked_consent_request,
    checked_tags,
    consent_label,
    decode_cursor,
    encode_cursor,
)

pytestmark = pytest.mark.unit


def test_tags_are_lower_cased_without_repeats_and_sorted() -> None:
    assert checked_tags([" VIP", "vip", "wholesale", "b2b_north-1"]) == (
        "b2b_north-1",
        "vip",
        "wholesale",
    )
    assert checked_tags([]) == ()


@pytest.mark.parametrize("bad", ["", "vip!", "x" * 33, "due parole", "caffè"])
def test_a_tag_outside_the_alphabet_or_length_refuses_the_whole_set(bad: str) -> None:
    with pytest.raises(CustomerInputError, match="invalid tag"):
        checked_tags(["vip", bad])


def test_at_most_twenty_tags() -> None:
    assert len(checked_tags([f"t{n}" for n in range(20)])) == 20
    with pytest.raises(CustomerInputError, match="at most 20"):
        checked_tags([f"t{n}" for n in range(21)])


def test_an_opt_in_needs_proof_an_opt_out_does_not() -> None:
    assert checked_consent_request("opt_in", "web_form", " form #12 ") == "form #12"
    assert checked_consent_request("opt_out", "console", None) is None
    for proof in (None, "", "   "):
        with pytest.raises(CustomerInputError, match="needs its proof"):
            checked_consent_request("opt_in", "till", proof)


@pytest.mark.parametrize("source", ["keyword", "whatsapp_preferences"])
def test_the_notifiers_own_sources_are_not_the_operators(source: str) -> None:
    with pytest.raises(CustomerInputError, match="recorded by the notifier"):
        checked_consent_request("opt_out", source, "x")


def test_consent_labels() -> None:
    assert [consent_label(s) for s in ("opted_in", "opted_out", None)] == [
        "opted_in",
        "opted_out",
        "none",
    ]


def test_the_cursor_round_trips_and_garbage_is_refused() -> None:
    for customer_id in ("393331234567", "US.1234:x-y"):
        assert decode_cursor(encode_cursor(customer_id)) == customer_id
    for garbage in ("!!!", "", "_w"):
        with pytest.raises(CustomerInputError, match="invalid cursor"):
            decode_cursor(garbage)
