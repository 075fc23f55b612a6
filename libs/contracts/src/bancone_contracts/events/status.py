"""``bancone.status.v1``: WhatsApp's report on a message we sent (sent/delivered/read/failed)."""

from __future__ import annotations

from typing import ClassVar, Literal, Self

from pydantic import Field, model_validator

from bancone_contracts import topics
from bancone_contracts.common import (
    ContractModel,
    UtcDatetime,
    WaId,
    WhatsAppError,
    customer_id_of,
)
from bancone_contracts.envelope import Envelope

WhatsAppStatus = Literal["sent", "delivered", "read", "failed", "played"]
"""They arrive unordered and may skip steps; `bancone_contracts.delivery_status` orders them."""


class StatusConversation(ContractModel):
    """The WhatsApp conversation (billing window) the message belongs to."""

    id: str
    expiration: UtcDatetime | None = None
    origin_type: str | None = Field(default=None, examples=["service", "marketing"])


class StatusPricing(ContractModel):
    billable: bool | None = None
    pricing_model: str | None = Field(default=None, examples=["PMP", "CBP"])
    type: str | None = Field(default=None, examples=["regular", "free_customer_service"])
    category: str | None = Field(default=None, examples=["service", "utility", "marketing"])


class StatusUpdate(ContractModel):
    """One status of one message we sent."""

    wamid: str = Field(description="The id WhatsApp gave our message.")
    status: WhatsAppStatus
    phone_number_id: str = Field(description="The business number that sent the message.")
    recipient_id: WaId | None = Field(
        default=None, description="Recipient wa_id (digits, without '+')."
    )
    recipient_user_id: str | None = Field(
        default=None, description="Recipient business-scoped user id (from 2026)."
    )
    timestamp: UtcDatetime
    conversation: StatusConversation | None = None
    pricing: StatusPricing | None = None
    errors: tuple[WhatsAppError, ...] = ()
    biz_opaque_callback_data: str | None = Field(
        default=None, description="The tracking string we attached when sending, echoed back."
    )

    @model_validator(mode="after")
    def _has_recipient(self) -> Self:
        customer_id_of(self.recipient_id, self.recipient_user_id)
        return self

    @property
    def customer_id(self) -> str:
        return customer_id_of(self.recipient_id, self.recipient_user_id)


class WhatsAppStatusUpdated(Envelope[StatusUpdate]):
    """WhatsApp reported progress (or failure) of a message we sent."""

    topic: ClassVar[str] = topics.STATUS
    type: Literal["whatsapp.status.updated"] = "whatsapp.status.updated"
    version: Literal[1] = 1

    @classmethod
    def subject_for(cls, tenant_id: str, data: StatusUpdate) -> str:
        return topics.conversation_key(tenant_id, data.customer_id)
