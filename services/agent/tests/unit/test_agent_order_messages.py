"""What the customer is told about an order change (`domain.order_updates`): which changes
speak, in which language, and what each message must carry."""

from __future__ import annotations

import pytest

from bancone_agent.domain.order_updates import (
    message_language,
    needs_invoice_link,
    order_message,
    outbound_id_for,
    tells_customer,
    unsent_note,
)
from bancone_contracts.events.order import OrderTransition
from services.agent.tests.support.orders import order_event

pytestmark = pytest.mark.unit

SPOKEN: tuple[tuple[OrderTransition, str], ...] = (
    ("confirmed", "confirmed"),
    ("paid", "paid"),
    ("shipped", "shipped"),
    ("delivered", "delivered"),
    ("cancelled", "cancelled"),
    ("expired", "cancelled"),
    ("refunded", "refunded"),
)


def test_placing_is_silent_and_every_other_change_speaks() -> None:
    assert not tells_customer(order_event("t", "c", "placed", "pending").data)
    for transition, status in SPOKEN:
        assert tells_customer(order_event("t", "c", transition, status).data), transition


@pytest.mark.parametrize("language", ["it", "en", "es"])
def test_every_change_has_its_words_in_each_language_naming_the_order(language: str) -> None:
    texts = {
        order_message(order_event("t", "c", transition, status).data, language, None)
        for transition, status in SPOKEN
    }
    assert len(texts) == len(SPOKEN), "no two changes say the same"
    assert all("A-1042" in text for text in texts)


def test_the_order_language_wins_else_the_shop_language_else_english() -> None:
    assert message_language("es", "it") == "es"
    assert message_language("en-GB", "it") == "en"
    assert message_language("de", "it") == "it"
    assert message_language(None, "es") == "es"
    assert message_language("fr", "fr") == "en"


def test_paid_carries_the_invoice_link_or_promises_the_invoice() -> None:
    paid = order_event("t", "c", "paid", "paid", invoice_number="2026-000003").data
    assert needs_invoice_link(paid)
    with_link = order_message(paid, "it", "https://x.example/l/abc")
    assert "https://x.example/l/abc" in with_link
    assert "2026-000003" in with_link
    assert "€ 79,80" in with_link
    assert "79.80" in order_message(paid, "en", None)
    assert "invoice shortly" in order_message(paid, "en", None)
    assert not needs_invoice_link(order_event("t", "c", "paid", "paid").data), "no invoice yet"


def test_shipped_names_the_tracking_code_and_confirmed_the_payment_page() -> None:
    shipped = order_event("t", "c", "shipped", "shipped", tracking_code="TRK-1").data
    assert "TRK-1" in order_message(shipped, "es", None)
    confirmed = order_event(
        "t", "c", "confirmed", "confirmed", payment_url="https://pay.example/p/1"
    ).data
    assert "https://pay.example/p/1" in order_message(confirmed, "it", None)


def test_expired_says_the_reservation_ran_out() -> None:
    expired = order_event("t", "c", "expired", "cancelled").data
    assert "reservation" in order_message(expired, "en", None)
    assert "prenotazione" in order_message(expired, "it", None)


def test_the_message_id_is_the_same_for_the_same_event_only() -> None:
    one, two = order_event("t", "c", "paid", "paid"), order_event("t", "c", "paid", "paid")
    assert outbound_id_for(one.id) == outbound_id_for(one.id) != outbound_id_for(two.id)


def test_the_kept_back_note_says_why_and_what() -> None:
    change = order_event("t", "c", "delivered", "delivered").data
    note = unsent_note(change, "Il tuo ordine A-1042 è stato consegnato.")
    assert "24 hours" in note
    assert "A-1042 delivered" in note
    assert "consegnato" in note
