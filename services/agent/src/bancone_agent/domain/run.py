"""What one assistant turn did: recorded in the run log and published for integrators."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class TurnOutcome(StrEnum):
    ANSWERED = "answered"
    ESCALATED = "escalated"
    FALLBACK = "fallback"
    MUTED = "muted"


class ToolCallRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    arguments: dict[str, Any]
    result_items: int = 0
    result_bytes: int = 0
    error: str | None = None
    categories: tuple[str, ...] = ()
    """Categories of the products the call returned: what the customer was shown."""


class GuardFinding(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str = Field(description="price | stock | product_name | number")
    value: str
    attempt: int = Field(description="1 = first answer, 2 = after the corrective retry")


class TurnRun(BaseModel):
    """Filled by the assistant; the agent adds config version, latency and persists it."""

    model_config = ConfigDict(frozen=True)

    assistant: str = Field(description="offline | llm")
    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated_cost: Decimal = Decimal("0")
    tool_calls: tuple[ToolCallRecord, ...] = ()
    guard_findings: tuple[GuardFinding, ...] = ()
    outcome: TurnOutcome = TurnOutcome.ANSWERED
    error: str | None = Field(default=None, description="Why the LLM path failed, if it did")
