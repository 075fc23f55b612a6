"""Pay by link: the provider-neutral port the catalog uses to get paid.

The catalog never sees card data: it asks a provider for a payment page for an order
(`create_link`) and learns the outcome from the provider's signed callback (`read_callback`).
Each provider is one adapter (`adapters/sandbox_payments.py` ships with the project, like the
WhatsApp sandbox); the provider's name is part of the callback URL, so the right adapter checks
the signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field


class InvalidPaymentCallbackError(Exception):
    """A callback whose signature, timestamp or body does not check out: refuse it (401/400),
    change nothing."""


class PaymentRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant_id: str
    order_id: str = Field(description="Also the provider-side reference: one link per order.")
    order_number: str
    amount: Decimal = Field(gt=0)
    currency: str
    description: str = Field(max_length=200)
    callback_url: str


class PaymentLink(BaseModel):
    model_config = ConfigDict(frozen=True)

    provider: str
    link_id: str
    url: str


class PaymentNotice(BaseModel):
    """What a verified callback says happened."""

    model_config = ConfigDict(frozen=True)

    provider: str
    event_id: str = Field(description="The provider's id of this notification (dedupe key).")
    link_id: str
    tenant_id: str
    order_id: str
    status: Literal["paid", "failed", "refunded"]
    amount: Decimal
    currency: str


class PaymentProvider(Protocol):
    name: str

    async def create_link(self, request: PaymentRequest) -> PaymentLink:
        """A payment page for the order; the same order gives the same link (idempotent).
        Raises `PaymentProviderError` when the provider can't be reached or refuses."""
        ...

    def read_callback(self, body: bytes, headers: Mapping[str, str]) -> PaymentNotice:
        """Check the signature (and its freshness) and read the notice; raises
        `InvalidPaymentCallbackError` otherwise."""
        ...


class PaymentProviderError(Exception):
    """The provider could not create a link (down, timeout, refused)."""
