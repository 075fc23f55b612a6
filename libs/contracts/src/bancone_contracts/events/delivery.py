"""``bancone.delivery.v1``: what happened to an outbound message, as the notifier knows it."""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from bancone_contracts import topics
from bancone_contracts.common import ContractModel, UtcDatetime
from bancone_contracts.envelope import Envelope

DeliveryStatus = Literal["accepted", "sent", "delivered", "read", "failed"]


class DeliveryResult(ContractModel):
    """One step in an outbound message's life: accepted by the Graph API, then WhatsApp statuses."""

    outbound_id: UUID = Field(description="The outbound message this result is about.")
    customer_id: str = Field(min_length=1)
    wamid: str | None = Field(
        default=None, description="The id WhatsApp gave the message; absent if never accepted."
    )
    status: DeliveryStatus
    error_code: int | None = Field(default=None, examples=[131047])
    error_title: str | None = Field(default=None, examples=["Re-engagement message"])
    retryable: bool | None = Field(
        default=None, description="On failure: whether the notifier would retry."
    )
    attempt: int = Field(default=1, ge=1, description="Send attempts made so far.")
    occurred_at: UtcDatetime | None = Field(default=None, description="When it happened (UTC).")


class DeliveryUpdated(Envelope[DeliveryResult]):
    """An outbound message was accepted, sent, delivered, read or failed."""

    topic: ClassVar[str] = topics.DELIVERY
    type: Literal["delivery.updated"] = "delivery.updated"
    version: Literal[1] = 1

    @classmethod
    def subject_for(cls, tenant_id: str, data: DeliveryResult) -> str:
        return topics.conversation_key(tenant_id, data.customer_id)
