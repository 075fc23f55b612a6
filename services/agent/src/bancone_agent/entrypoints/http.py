"""The agent's HTTP routes: operator actions on conversations and usage; health and readiness
come from the kit's app factory. Each route translates the request into a command
(`domain.commands`) and calls its handler; the response models translate back.

Every route carries one of the kit's role guards (`bancone_kit.http.auth`): reads need a
viewer of the path's tenant, taking over and resolving an agent; the tenant is the path's and
scopes every query.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.types import Lifespan

from bancone_agent import handlers
from bancone_agent.adapters.tables import AgentTurnRecord, ConversationRecord, MessageRecord
from bancone_agent.domain.commands import (
    ListConversations,
    Resolve,
    ShowConversation,
    SumDailyUsage,
    TakeOver,
)
from bancone_agent.domain.usage import Usage
from bancone_agent.entrypoints import dead_letters
from bancone_agent.entrypoints.dead_letters import DEAD_LETTER_PROBLEMS
from bancone_agent.handlers import AgentDeps
from bancone_agent.settings import AgentSettings
from bancone_contracts.tenancy import TENANT_ID_PATTERN
from bancone_kit.http.app import create_app
from bancone_kit.http.auth import AgentRole, Viewer, install_token_verifier
from bancone_kit.http.health import ReadinessCheck
from bancone_kit.logging import get_logger

PUBLIC_PATHS: frozenset[str] = frozenset()
"""Routes that answer without a token besides the kit's probes and docs: none."""

log = get_logger(__name__)

AGENT_PROBLEMS = DEAD_LETTER_PROBLEMS
"""The agent's domain errors as RFC 9457 problems (`bancone_kit.http.errors`)."""


def get_deps(request: Request) -> AgentDeps:
    deps: AgentDeps = request.app.state.deps
    return deps


TenantId = Annotated[
    str, Path(pattern=TENANT_ID_PATTERN, description="The tenant's slug.", examples=["demo"])
]
ConversationId = Annotated[uuid.UUID, Path(description="The conversation's id.")]
Deps = Annotated[AgentDeps, Depends(get_deps)]

router = APIRouter(prefix="/v1/tenants/{tenant_id}")


class MessageOut(BaseModel):
    direction: str
    sender: str
    kind: str
    text: str | None
    language: str | None
    wamid: str | None
    outbound_id: uuid.UUID | None
    delivery_status: str | None
    created_at: datetime

    @classmethod
    def of(cls, m: MessageRecord) -> MessageOut:
        return cls(
            direction=m.direction,
            sender=m.sender,
            kind=m.kind,
            text=m.text,
            language=m.language,
            wamid=m.wamid,
            outbound_id=m.outbound_id,
            delivery_status=m.delivery_status,
            created_at=m.created_at,
        )


class TurnOut(BaseModel):
    id: uuid.UUID
    config_version: int
    assistant: str
    model: str | None
    prompt_tokens: int
    completion_tokens: int
    estimated_cost: Decimal
    latency_ms: int
    tool_calls: list[dict[str, Any]]
    guard_findings: list[dict[str, Any]]
    outcome: str
    escalation_reason: str | None
    error: str | None
    message_ids: list[str]
    created_at: datetime

    @classmethod
    def of(cls, t: AgentTurnRecord) -> TurnOut:
        return cls.model_validate(t, from_attributes=True)


class ConversationOut(BaseModel):
    id: uuid.UUID
    tenant_id: str
    customer_id: str
    state: str
    language: str | None
    escalation_reason: str | None
    operator_id: str | None
    failed_turns: int
    opened_at: datetime
    updated_at: datetime
    state_changed_at: datetime | None
    last_inbound_at: datetime | None
    changed: bool | None = Field(
        default=None, description="On takeover/resolve: whether this call changed the state."
    )
    messages: list[MessageOut] = Field(default_factory=list)
    turns: list[TurnOut] = Field(default_factory=list)

    @classmethod
    def of(cls, c: ConversationRecord, **extra: Any) -> ConversationOut:
        return cls(
            id=c.id,
            tenant_id=c.tenant_id,
            customer_id=c.customer_id,
            state=c.state,
            language=c.language,
            escalation_reason=c.escalation_reason,
            operator_id=c.operator_id,
            failed_turns=c.failed_turns,
            opened_at=c.opened_at,
            updated_at=c.updated_at,
            state_changed_at=c.state_changed_at,
            last_inbound_at=c.last_inbound_at,
            **extra,
        )


class OperatorAction(BaseModel):
    operator_id: str = Field(
        default="admin", min_length=1, max_length=128, description="Who acts (for the event)."
    )


class UsageOut(BaseModel):
    turns: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    estimated_cost: Decimal = Field(description="EUR (the price table), a decimal string.")

    @classmethod
    def of(cls, u: Usage) -> UsageOut:
        return cls(
            turns=u.turns,
            prompt_tokens=u.prompt_tokens,
            completion_tokens=u.completion_tokens,
            total_tokens=u.total_tokens,
            estimated_cost=u.estimated_cost,
        )


class DailyUsageOut(UsageOut):
    tenant_id: str
    date: date
    by_outcome: dict[str, UsageOut]


_NOT_FOUND = HTTPException(404, detail="no such conversation in this tenant")


@router.get("/conversations", dependencies=[Viewer], response_model=list[ConversationOut])
async def list_conversations(
    tenant_id: TenantId,
    deps: Deps,
    state: Annotated[
        list[str] | None, Query(description="Filter: bot, waiting_for_human, human, resolved")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ConversationOut]:
    """The tenant's conversations (by default those waiting for or held by people)."""
    wanted = state or ["waiting_for_human", "human"]
    found = await handlers.list_conversations(ListConversations(tenant_id, wanted, limit), deps)
    return [ConversationOut.of(c) for c in found]


@router.get(
    "/conversations/{conversation_id}", dependencies=[Viewer], response_model=ConversationOut
)
async def get_conversation(
    tenant_id: TenantId, conversation_id: ConversationId, deps: Deps
) -> ConversationOut:
    """A conversation with its latest messages and the run log of its turns."""
    view = await handlers.show_conversation(ShowConversation(tenant_id, conversation_id), deps)
    if view is None:
        raise _NOT_FOUND
    return ConversationOut.of(
        view.conversation,
        messages=[MessageOut.of(m) for m in view.messages],
        turns=[TurnOut.of(t) for t in view.turns],
    )


@router.post(
    "/conversations/{conversation_id}/takeover",
    dependencies=[AgentRole],
    response_model=ConversationOut,
)
async def takeover(
    tenant_id: TenantId,
    conversation_id: ConversationId,
    deps: Deps,
    action: Annotated[OperatorAction | None, Body()] = None,
) -> ConversationOut:
    """A person takes the conversation over: the assistant is silent from now on."""
    operator = (action or OperatorAction()).operator_id
    done = await handlers.take_over(TakeOver(tenant_id, conversation_id, operator), deps)
    if done is None:
        raise _NOT_FOUND
    return ConversationOut.of(done.conversation, changed=done.changed)


@router.post(
    "/conversations/{conversation_id}/resolve",
    dependencies=[AgentRole],
    response_model=ConversationOut,
)
async def resolve(
    tenant_id: TenantId,
    conversation_id: ConversationId,
    deps: Deps,
    action: Annotated[OperatorAction | None, Body()] = None,
) -> ConversationOut:
    """Close the conversation; the customer's next message goes to the assistant again."""
    operator = (action or OperatorAction()).operator_id
    done = await handlers.resolve(Resolve(tenant_id, conversation_id, operator), deps)
    if done is None:
        raise _NOT_FOUND
    return ConversationOut.of(done.conversation, changed=done.changed)


@router.get("/usage", dependencies=[Viewer], response_model=DailyUsageOut)
async def usage(
    tenant_id: TenantId,
    deps: Deps,
    day: Annotated[date, Query(alias="date", description="The day (UTC), YYYY-MM-DD.")],
) -> DailyUsageOut:
    """Assistant turns, tokens and estimated cost of one day, in total and by outcome."""
    summary = await handlers.sum_daily_usage(SumDailyUsage(tenant_id, day), deps)
    total = UsageOut.of(summary.total)
    return DailyUsageOut(
        **total.model_dump(),
        tenant_id=tenant_id,
        date=day,
        by_outcome={k: UsageOut.of(v) for k, v in summary.by_outcome.items()},
    )


def build_http_app(
    settings: AgentSettings,
    readiness_checks: Sequence[ReadinessCheck],
    lifespan: Lifespan[FastAPI] | None = None,
) -> FastAPI:
    app = create_app("Bancone agent", settings, readiness_checks, lifespan, errors=AGENT_PROBLEMS)
    install_token_verifier(app, settings, "agent")
    app.include_router(router)
    app.include_router(dead_letters.tenant_router)
    app.include_router(dead_letters.platform_router)
    return app
