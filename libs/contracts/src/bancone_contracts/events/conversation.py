"""``bancone.conversation.v1``: a conversation's lifecycle (AI, escalation, human, resolution)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from bancone_contracts import topics
from bancone_contracts.common import ContractModel, UtcDatetime
from bancone_contracts.envelope import Envelope

ConversationTransition = Literal["opened", "escalated", "human_took_over", "resolved", "resumed"]


class ConversationChange(ContractModel):
    """A conversation moved to a new lifecycle state."""

    conversation_id: str = Field(min_length=1)
    customer_id: str = Field(min_length=1)
    transition: ConversationTransition
    reason: str | None = Field(
        default=None,
        description="Why, in a few words (escalations especially).",
        examples=["customer asked for a human", "llm_unavailable", "low_confidence"],
    )
    actor: Literal["ai", "operator", "customer", "system"] = Field(
        default="system", description="Who caused the transition."
    )
    operator_id: str | None = Field(default=None, description="The operator, when one acted.")
    occurred_at: UtcDatetime | None = None


class ConversationChanged(Envelope[ConversationChange]):
    """A conversation was opened, escalated, taken over, resolved or resumed."""

    topic: ClassVar[str] = topics.CONVERSATION
    type: Literal["conversation.changed"] = "conversation.changed"
    version: Literal[1] = 1

    @classmethod
    def subject_for(cls, tenant_id: str, data: ConversationChange) -> str:
        return topics.conversation_key(tenant_id, data.customer_id)
