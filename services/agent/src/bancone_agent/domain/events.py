"""The events a turn or an operator action publishes, built from plain values: the reply
(`bancone.outbound.v1`), a conversation's state change (`bancone.conversation.v1`) and the
run log of a turn (`agent.turn.completed`). Ids derive from the turn's last inbound event,
so a recomputed turn publishes the same events and consumers drop the copies."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from bancone_agent.domain.escalation import Escalation
from bancone_agent.domain.run import TurnOutcome, TurnRun
from bancone_agent.domain.turn import Draft, Plan, outbound_id_for, turn_id_for
from bancone_contracts.events.agent_turn import (
    AgentGuardFinding,
    AgentToolCall,
    AgentTurn,
    AgentTurnCompleted,
)
from bancone_contracts.events.conversation import (
    ConversationChange,
    ConversationChanged,
    ConversationTransition,
)
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.outbound import (
    INTERACTIVE_BODY_MAX,
    TEXT_BODY_MAX,
    OutboundButtons,
    OutboundMessage,
    OutboundMessageRequested,
    OutboundText,
    ReplyButton,
)

SOURCE = "agent"

_OUTBOUND_EVENT_IDS = uuid.UUID("9c4e2a71-6b3d-5f08-8e1a-7d5c3b9f2e64")
_TURN_EVENT_IDS = uuid.UUID("a1c7e3f9-2b5d-5e80-9f4a-6d1b8c3e7f02")
_HOLDING_IDS = uuid.UUID("c3a9f1d7-4e2b-5c86-a0f5-8b7d1e3c9a24")

Actor = Literal["ai", "operator", "customer", "system"]


def conversation_event(
    tenant_id: str,
    conversation_id: uuid.UUID,
    customer_id: str,
    transition: ConversationTransition,
    *,
    actor: Actor,
    reason: str | None,
    operator_id: str | None,
    now: datetime,
) -> ConversationChanged:
    return ConversationChanged.new(
        tenant_id=tenant_id,
        source=SOURCE,
        data=ConversationChange(
            conversation_id=str(conversation_id),
            customer_id=customer_id,
            transition=transition,
            reason=reason,
            actor=actor,
            operator_id=operator_id,
            occurred_at=now,
        ),
    )


def reply_event(
    event: InboundMessageReceived,
    conversation_id: uuid.UUID,
    text: str,
    buttons: tuple[ReplyButton, ...] = (),
) -> OutboundMessageRequested:
    """The assistant's reply to the turn whose last message is `event`: a text, or a text
    with reply buttons (`OutboundButtons`, the order confirmation) when `buttons` are given."""
    message = event.data
    who = message.customer
    limit = INTERACTIVE_BODY_MAX if buttons else TEXT_BODY_MAX
    body = text.strip()
    if len(body) > limit:
        body = body[: limit - 1] + "…"
    content = OutboundButtons(body=body, buttons=buttons) if buttons else OutboundText(body=body)
    return OutboundMessageRequested.new(
        tenant_id=event.tenant_id,
        source=SOURCE,
        id=uuid.uuid5(_OUTBOUND_EVENT_IDS, str(event.id)),
        data=OutboundMessage(
            outbound_id=outbound_id_for(event.id),
            customer_id=who.customer_id,
            to=who.wa_id,
            to_user_id=None if who.wa_id else who.user_id,
            phone_number_id=message.phone_number_id,
            conversation_id=str(conversation_id),
            reply_to=message.message_id,
            sender="ai",
            content=content,
        ),
    )


def dead_letter_holding_event(
    event: InboundMessageReceived, conversation_id: uuid.UUID, text: str
) -> OutboundMessageRequested:
    """The holding message sent when `event` was dead-lettered: ids of its own (derived from
    the event's), so it never collides with the reply a replayed turn could stage."""
    reply = reply_event(event, conversation_id, text)
    data = reply.data.model_copy(
        update={"outbound_id": uuid.uuid5(_HOLDING_IDS, f"outbound:{event.id}")}
    )
    return reply.model_copy(update={"id": uuid.uuid5(_HOLDING_IDS, str(event.id)), "data": data})


def human_reply_event(
    tenant_id: str,
    conversation_id: uuid.UUID,
    customer: tuple[str, str | None, str | None],
    phone_number_id: str,
    operator_id: str,
    text: str,
) -> OutboundMessageRequested:
    """An operator's text to the customer (`customer` = id, wa_id, user id)."""
    customer_id, wa_id, user_id = customer
    return OutboundMessageRequested.new(
        tenant_id=tenant_id,
        source=SOURCE,
        data=OutboundMessage(
            customer_id=customer_id,
            to=wa_id,
            to_user_id=None if wa_id else user_id,
            phone_number_id=phone_number_id,
            conversation_id=str(conversation_id),
            sender="human",
            operator_id=operator_id,
            content=OutboundText(body=text),
        ),
    )


@dataclass(frozen=True)
class TurnLog:
    """One run-log entry: the row the agent keeps and the event it publishes say the same."""

    tenant_id: str
    id: uuid.UUID
    conversation_id: uuid.UUID
    customer_id: str
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
    last_event_id: uuid.UUID


def turn_log(
    plan: Plan,
    draft: Draft,
    conversation_id: uuid.UUID,
    outcome: TurnOutcome,
    escalation: Escalation | None,
    now: datetime,
) -> TurnLog:
    """The run-log entry of a turn (a muted one records no assistant), fields cut to what
    the run log stores."""
    run = draft.run if not draft.muted and draft.run is not None else TurnRun(assistant="none")
    if outcome is TurnOutcome.MUTED:
        run = run.model_copy(update={"outcome": outcome})
    reason = escalation.description if escalation is not None else None
    return TurnLog(
        tenant_id=plan.tenant_id,
        id=turn_id_for(plan.last.id),
        conversation_id=conversation_id,
        customer_id=plan.customer_id,
        config_version=plan.config.version,
        assistant=run.assistant[:16],
        model=run.model,
        prompt_tokens=run.prompt_tokens,
        completion_tokens=run.completion_tokens,
        estimated_cost=run.estimated_cost,
        latency_ms=draft.latency_ms,
        tool_calls=[call.model_dump(mode="json") for call in run.tool_calls],
        guard_findings=[finding.model_dump(mode="json") for finding in run.guard_findings],
        outcome=outcome.value,
        escalation_reason=reason[:200] if reason else None,
        error=run.error[:500] if run.error else None,
        message_ids=plan.wamids,
        created_at=now,
        last_event_id=plan.last.id,
    )


def turn_completed_event(log: TurnLog) -> AgentTurnCompleted:
    return AgentTurnCompleted.new(
        tenant_id=log.tenant_id,
        source=SOURCE,
        id=uuid.uuid5(_TURN_EVENT_IDS, str(log.last_event_id)),
        data=AgentTurn(
            turn_id=log.id,
            conversation_id=str(log.conversation_id),
            customer_id=log.customer_id,
            message_ids=tuple(log.message_ids),
            config_version=log.config_version,
            assistant=log.assistant,
            model=log.model,
            prompt_tokens=log.prompt_tokens,
            completion_tokens=log.completion_tokens,
            estimated_cost=Decimal(log.estimated_cost),
            latency_ms=log.latency_ms,
            tool_calls=tuple(AgentToolCall.model_validate(c) for c in log.tool_calls),
            guard_findings=tuple(AgentGuardFinding.model_validate(f) for f in log.guard_findings),
            outcome=log.outcome,
            escalation_reason=log.escalation_reason,
            error=log.error,
            occurred_at=log.created_at,
        ),
    )
