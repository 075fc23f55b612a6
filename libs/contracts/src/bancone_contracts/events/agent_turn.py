"""``bancone.agent-turns.v1``: what one assistant turn did and cost (the agent's run log).

One event per turn, also for turns the assistant stayed silent in because a person holds the
conversation (`muted`). Integrators use it for cost reports and quality dashboards; it carries
no message texts, only the tools' arguments and the sizes of their results.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import Field

from bancone_contracts import topics
from bancone_contracts.common import ContractModel, UtcDatetime
from bancone_contracts.envelope import Envelope

TurnOutcome = Literal["answered", "escalated", "fallback", "muted"]


class AgentToolCall(ContractModel):
    """A tool the assistant called in the turn, with what it asked and how much came back."""

    name: str = Field(min_length=1, examples=["search_products"])
    arguments: dict[str, Any] = Field(
        default_factory=dict, description="The arguments as the assistant gave them."
    )
    result_items: int = Field(default=0, ge=0, description="Items in the result.")
    result_bytes: int = Field(default=0, ge=0, description="Size of the result as JSON.")
    error: str | None = Field(default=None, description="Why the call failed, if it did.")
    categories: tuple[str, ...] = Field(
        default=(),
        description="Category slugs of the products the call returned (what the customer "
        "was shown), sorted, without repeats.",
        examples=[["vino-rosso"]],
    )


class AgentGuardFinding(ContractModel):
    """A figure or name in a draft reply that no tool result supported."""

    kind: str = Field(examples=["price", "stock", "product_name"])
    value: str = Field(examples=["9.90"])
    attempt: int = Field(ge=1, description="1 = first draft, 2 = after the corrective retry.")


class AgentTurn(ContractModel):
    """One assistant turn: one or more customer messages in, at most one reply out."""

    turn_id: UUID = Field(description="Unique per turn; the idempotency key of the record.")
    conversation_id: str = Field(min_length=1)
    customer_id: str = Field(min_length=1)
    message_ids: tuple[str, ...] = Field(
        default=(),
        description="WhatsApp ids of the customer messages folded into this turn, oldest first.",
    )
    config_version: int = Field(
        ge=0, description="The tenant's agent configuration version (0 = built-in defaults)."
    )
    assistant: str = Field(
        description="Who computed the turn: offline, llm, rules, or none (muted).",
        examples=["llm", "offline"],
    )
    model: str | None = Field(default=None, examples=["gpt-4o-mini"])
    prompt_tokens: int = Field(default=0, ge=0)
    completion_tokens: int = Field(default=0, ge=0)
    estimated_cost: Decimal = Field(
        default=Decimal("0"),
        description="Estimated model cost of the turn in EUR (the agent's price table), as a "
        "decimal string.",
        examples=["0.000420"],
    )
    latency_ms: int = Field(default=0, ge=0, description="Time the assistant took.")
    tool_calls: tuple[AgentToolCall, ...] = ()
    guard_findings: tuple[AgentGuardFinding, ...] = ()
    outcome: TurnOutcome
    escalation_reason: str | None = Field(
        default=None,
        description="When escalated: why (customer_request, model, rule, failure, ungrounded, "
        "failed_turns).",
    )
    error: str | None = Field(default=None, description="Why the assistant failed, if it did.")
    occurred_at: UtcDatetime


class AgentTurnCompleted(Envelope[AgentTurn]):
    """The assistant finished a turn (answered, escalated, fell back, or stayed muted)."""

    topic: ClassVar[str] = topics.AGENT_TURNS
    type: Literal["agent.turn.completed"] = "agent.turn.completed"
    version: Literal[1] = 1

    @classmethod
    def subject_for(cls, tenant_id: str, data: AgentTurn) -> str:
        return topics.conversation_key(tenant_id, data.customer_id)
