"""Conversation routes of the operators' console: list and read conversations, their
messages and run log; take over, assign, reply, note, hand back, resolve, reopen. Reads need a
viewer, actions an agent, the run log an admin; the acting operator is the token's subject."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from bancone_agent import operator_handlers as handlers
from bancone_agent.adapters.feed import message_item
from bancone_agent.adapters.inbox import ConversationRow
from bancone_agent.adapters.tables import AgentTurnRecord, MessageRecord
from bancone_agent.domain.commands import (
    AddNote,
    Assign,
    HandBack,
    ListConversations,
    ListMessages,
    ListTurns,
    Reopen,
    Reply,
    Resolve,
    ShowConversation,
    TakeOver,
)
from bancone_agent.domain.operators import REPLY_MAX, preview, window_open
from bancone_agent.entrypoints.web import (
    PREFIX,
    AdminCaller,
    AgentCaller,
    ConversationId,
    Deps,
    TenantId,
    ViewerCaller,
)
from bancone_agent.operator_handlers import StateChange

router = APIRouter(prefix=PREFIX, tags=["conversations"])

State = Literal["bot", "waiting_for_human", "human", "resolved"]


class ConversationOut(BaseModel):
    id: uuid.UUID
    tenant_id: str
    customer_id: str
    customer_name: str | None = None
    state: str
    language: str | None
    escalation_reason: str | None
    operator_id: str | None = Field(description="Who last took it over or resolved it.")
    assigned_to: str | None = Field(description="The operator holding it, if any.")
    failed_turns: int
    opened_at: datetime
    updated_at: datetime
    state_changed_at: datetime | None
    last_inbound_at: datetime | None
    window_open: bool = Field(description="Whether a free-form reply may be sent (24 h).")
    unread: int = Field(description="Customer messages since the shop last wrote.")
    last_message: str | None = Field(description="Preview of the latest message.")
    changed: bool | None = Field(
        default=None, description="On actions: whether this call changed the conversation."
    )

    @classmethod
    def of(
        cls, row: ConversationRow, now: datetime, changed: bool | None = None
    ) -> ConversationOut:
        c = row.conversation
        return cls(
            id=c.id,
            tenant_id=c.tenant_id,
            customer_id=c.customer_id,
            customer_name=row.customer_name,
            state=c.state,
            language=c.language,
            escalation_reason=c.escalation_reason,
            operator_id=c.operator_id,
            assigned_to=c.assigned_to,
            failed_turns=c.failed_turns,
            opened_at=c.opened_at,
            updated_at=c.updated_at,
            state_changed_at=c.state_changed_at,
            last_inbound_at=c.last_inbound_at,
            window_open=window_open(c.last_inbound_at, now),
            unread=row.unread,
            last_message=preview(row.last_message),
            changed=changed,
        )


class ConversationPage(BaseModel):
    items: list[ConversationOut]
    next_cursor: str | None


class MessageOut(BaseModel):
    id: uuid.UUID
    direction: Literal["in", "out"]
    sender: Literal["customer", "ai", "human", "system"]
    operator_id: str | None
    text: str | None
    kind: str
    created_at: datetime
    delivery_status: Literal["queued", "sent", "delivered", "read", "failed"] | None
    is_note: bool
    delivery_error: str | None = Field(
        default=None, description="Why it failed (code and title), when it did."
    )
    template_needed: bool = Field(
        default=False,
        description="It failed because the customer's 24-hour window was closed (131047): "
        "only a template can reach them now.",
    )

    @classmethod
    def of(cls, m: MessageRecord) -> MessageOut:
        return cls.model_validate(message_item(m))


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None


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


class TurnList(BaseModel):
    items: list[TurnOut]


class TextIn(BaseModel):
    text: str = Field(min_length=1, max_length=REPLY_MAX, description="Plain text.")


class AssignIn(BaseModel):
    operator_id: str = Field(min_length=1, max_length=128)


class ReplyAccepted(BaseModel):
    message_id: uuid.UUID
    outbound_id: uuid.UUID | None
    status: Literal["queued"] = "queued"


async def _row(tenant_id: str, conversation_id: uuid.UUID, deps: Deps) -> ConversationRow:
    return await handlers.show_conversation(ShowConversation(tenant_id, conversation_id), deps)


async def _after(
    tenant_id: str, conversation_id: uuid.UUID, done: StateChange, deps: Deps
) -> ConversationOut:
    row = await _row(tenant_id, conversation_id, deps)
    return ConversationOut.of(row, deps.clock(), changed=done.changed)


@router.get("/conversations", response_model=ConversationPage)
async def list_conversations(
    tenant_id: TenantId,
    _: ViewerCaller,
    deps: Deps,
    state: Annotated[list[State] | None, Query(description="Any of these states.")] = None,
    assigned_to: Annotated[str | None, Query(max_length=128)] = None,
    customer: Annotated[str | None, Query(max_length=128, description="Id or name part.")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in a message.")] = None,
    since: Annotated[datetime | None, Query(description="Updated at or after.")] = None,
    until: Annotated[datetime | None, Query(description="Updated before.")] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ConversationPage:
    """The tenant's conversations: waiting for a person first, then most recently updated."""
    command = ListConversations(
        tenant_id,
        states=list(state or ()),
        limit=limit,
        assigned_to=assigned_to,
        customer=customer,
        text=q,
        since=since,
        until=until,
        cursor=cursor,
    )
    rows, next_cursor = await handlers.list_conversations(command, deps)
    now = deps.clock()
    return ConversationPage(
        items=[ConversationOut.of(r, now) for r in rows], next_cursor=next_cursor
    )


@router.get("/conversations/{conversation_id}", response_model=ConversationOut)
async def get_conversation(
    tenant_id: TenantId, conversation_id: ConversationId, _: ViewerCaller, deps: Deps
) -> ConversationOut:
    return ConversationOut.of(await _row(tenant_id, conversation_id, deps), deps.clock())


@router.get("/conversations/{conversation_id}/messages", response_model=MessagePage)
async def list_messages(
    tenant_id: TenantId,
    conversation_id: ConversationId,
    _: ViewerCaller,
    deps: Deps,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> MessagePage:
    """Messages and notes, newest first, with their delivery status."""
    command = ListMessages(tenant_id, conversation_id, limit=limit, cursor=cursor)
    found, next_cursor = await handlers.list_messages(command, deps)
    return MessagePage(items=[MessageOut.of(m) for m in found], next_cursor=next_cursor)


@router.get("/conversations/{conversation_id}/turns", response_model=TurnList)
async def list_turns(
    tenant_id: TenantId, conversation_id: ConversationId, _: AdminCaller, deps: Deps
) -> TurnList:
    """The assistant's run log of the conversation (tools, tokens, cost, guard findings)."""
    found = await handlers.list_turns(ListTurns(tenant_id, conversation_id), deps)
    return TurnList(items=[TurnOut.of(t) for t in found])


@router.post("/conversations/{conversation_id}/takeover", response_model=ConversationOut)
async def takeover(
    tenant_id: TenantId, conversation_id: ConversationId, caller: AgentCaller, deps: Deps
) -> ConversationOut:
    """The caller takes the conversation over (409 `conversation-taken` if someone holds it)."""
    done = await handlers.take_over(TakeOver(tenant_id, conversation_id, caller.subject), deps)
    return await _after(tenant_id, conversation_id, done, deps)


@router.post("/conversations/{conversation_id}/assign", response_model=ConversationOut)
async def assign(
    tenant_id: TenantId,
    conversation_id: ConversationId,
    body: AssignIn,
    caller: AgentCaller,
    deps: Deps,
) -> ConversationOut:
    command = Assign(tenant_id, conversation_id, body.operator_id, caller.subject)
    done = await handlers.assign(command, deps)
    return await _after(tenant_id, conversation_id, done, deps)


@router.post(
    "/conversations/{conversation_id}/replies", response_model=ReplyAccepted, status_code=202
)
async def send_reply(
    tenant_id: TenantId,
    conversation_id: ConversationId,
    body: TextIn,
    caller: AgentCaller,
    deps: Deps,
) -> ReplyAccepted:
    """Send the customer a text as the caller (published on `bancone.outbound.v1`)."""
    sent = await handlers.reply(Reply(tenant_id, conversation_id, caller.subject, body.text), deps)
    return ReplyAccepted(message_id=sent.message.id, outbound_id=sent.message.outbound_id)


@router.post("/conversations/{conversation_id}/notes", response_model=MessageOut, status_code=201)
async def add_note(
    tenant_id: TenantId,
    conversation_id: ConversationId,
    body: TextIn,
    caller: AgentCaller,
    deps: Deps,
) -> MessageOut:
    """An internal note for the team: never sent to the customer."""
    note = await handlers.add_note(
        AddNote(tenant_id, conversation_id, caller.subject, body.text), deps
    )
    return MessageOut.of(note)


@router.post("/conversations/{conversation_id}/handback", response_model=ConversationOut)
async def handback(
    tenant_id: TenantId, conversation_id: ConversationId, caller: AgentCaller, deps: Deps
) -> ConversationOut:
    done = await handlers.hand_back(HandBack(tenant_id, conversation_id, caller.subject), deps)
    return await _after(tenant_id, conversation_id, done, deps)


@router.post("/conversations/{conversation_id}/resolve", response_model=ConversationOut)
async def resolve(
    tenant_id: TenantId, conversation_id: ConversationId, caller: AgentCaller, deps: Deps
) -> ConversationOut:
    done = await handlers.resolve(Resolve(tenant_id, conversation_id, caller.subject), deps)
    return await _after(tenant_id, conversation_id, done, deps)


@router.post("/conversations/{conversation_id}/reopen", response_model=ConversationOut)
async def reopen(
    tenant_id: TenantId, conversation_id: ConversationId, caller: AgentCaller, deps: Deps
) -> ConversationOut:
    done = await handlers.reopen(Reopen(tenant_id, conversation_id, caller.subject), deps)
    return await _after(tenant_id, conversation_id, done, deps)
