"""The agent's tables: customers, their conversation, and every message in and out.

Every primary key, unique key and index starts with `tenant_id`, so each lookup stays inside
one tenant's rows. A customer has one conversation per shop, as WhatsApp shows one chat;
its `state` follows `domain.conversation`. Per tenant, `agent_configs` keeps every version
of the assistant's configuration and `agent_turns` the run log (one row per turn);
`dead_letters` keeps the events its consumers gave up on, `whatsapp_notices` what WhatsApp
reported about the account.
Created only by the Alembic history (`migrations/versions/`), in the
agent's own SQLAlchemy registry: a process that imports several services' models (the test
session) never sees two `customers` or `messages` tables collide.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from bancone_agent.domain.conversation import ConversationState
from bancone_kit.clock import utcnow
from bancone_kit.db.types import UtcDateTime

__all__ = [
    "AgentConfigRecord",
    "AgentTable",
    "AgentTurnRecord",
    "ConversationMemoryRecord",
    "ConversationRecord",
    "ConversationState",
    "CustomerRecord",
    "DeadLetterRecord",
    "Direction",
    "FeedCursorRecord",
    "FeedEventRecord",
    "MessageRecord",
    "OnboardingSessionRecord",
    "WhatsAppNoticeRecord",
]


class AgentTable(SQLModel, registry=registry()):
    """Base of the agent's tables: their own metadata (`AgentTable.metadata`)."""


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


def _tenant() -> Any:
    return Field(sa_column=sa.Column("tenant_id", sa.String(63), primary_key=True))


def _timestamp() -> Any:
    return Field(default_factory=utcnow, sa_column=sa.Column(UtcDateTime(), nullable=False))


def _optional_timestamp() -> Any:
    return Field(default=None, sa_column=sa.Column(UtcDateTime(), nullable=True))


class CustomerRecord(AgentTable, table=True):
    """A WhatsApp user who wrote to a shop: `customer_id` is the wa_id, else the BSUID."""

    __tablename__ = "customers"

    tenant_id: str = _tenant()
    customer_id: str = Field(sa_column=sa.Column(sa.String(128), primary_key=True))
    wa_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(32)))
    user_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(128)))
    profile_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(256)))
    language: str | None = Field(default=None, sa_column=sa.Column(sa.String(8)))
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class ConversationRecord(AgentTable, table=True):
    """The one chat between a customer and a shop, and who answers in it."""

    __tablename__ = "conversations"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "customer_id", name="uq_conversations_tenant_customer"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customers.tenant_id", "customers.customer_id"],
            name="fk_conversations_customer",
        ),
        sa.Index("ix_conversations_tenant_updated", "tenant_id", "updated_at"),
        sa.Index("ix_conversations_tenant_state", "tenant_id", "state", "updated_at"),
    )

    tenant_id: str = _tenant()
    id: uuid.UUID = Field(
        default_factory=uuid.uuid4, sa_column=sa.Column(sa.Uuid(), primary_key=True)
    )
    customer_id: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    state: str = Field(
        default=ConversationState.BOT.value, sa_column=sa.Column(sa.String(24), nullable=False)
    )
    language: str | None = Field(default=None, sa_column=sa.Column(sa.String(8)))
    phone_number_id: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    """The shop's number the customer last wrote to: where replies are sent from."""
    opened_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()
    last_inbound_at: datetime | None = _optional_timestamp()
    """When the customer last wrote (WhatsApp's clock): the 24-hour service window opens here."""
    state_changed_at: datetime | None = _optional_timestamp()
    escalation_reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    """Why it last went to a person (while waiting or held)."""
    operator_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(128)))
    """The operator who took it over or resolved it last."""
    failed_turns: int = Field(
        default=0, sa_column=sa.Column(sa.Integer(), nullable=False, server_default="0")
    )
    """Assistant turns in a row that could not answer (escalation rule `max_failed_turns`)."""
    assigned_to: str | None = Field(default=None, sa_column=sa.Column(sa.String(128)))
    """The operator who holds it (took it over, or was assigned it); None when nobody does."""


class MessageRecord(AgentTable, table=True):
    """A message of a conversation: the customer's (`in`, by wamid) or ours (`out`, by
    outbound id, with the delivery state the notifier reports)."""

    __tablename__ = "messages"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "wamid", name="uq_messages_tenant_wamid"),
        sa.UniqueConstraint("tenant_id", "outbound_id", name="uq_messages_tenant_outbound"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "conversation_id"],
            ["conversations.tenant_id", "conversations.id"],
            name="fk_messages_conversation",
        ),
        sa.CheckConstraint("direction IN ('in', 'out')", name="ck_messages_direction"),
        sa.Index("ix_messages_tenant_conversation", "tenant_id", "conversation_id", "created_at"),
    )

    tenant_id: str = _tenant()
    id: uuid.UUID = Field(
        default_factory=uuid.uuid4, sa_column=sa.Column(sa.Uuid(), primary_key=True)
    )
    conversation_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False))
    direction: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    sender: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    """`customer`, `ai`, `human` or `system`."""
    operator_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(128)))
    """The operator who wrote a human reply or a note."""
    is_note: bool = Field(
        default=False,
        sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    """An operators' internal note: never sent to the customer."""
    kind: str = Field(sa_column=sa.Column(sa.String(24), nullable=False))
    text: str | None = Field(default=None, sa_column=sa.Column(sa.Text()))
    language: str | None = Field(default=None, sa_column=sa.Column(sa.String(8)))
    wamid: str | None = Field(default=None, sa_column=sa.Column(sa.String(256)))
    outbound_id: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid()))
    event_id: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid()))
    """The inbound event this message came with, or that caused this reply."""
    reply_to: str | None = Field(default=None, sa_column=sa.Column(sa.String(256)))
    delivery_status: str | None = Field(default=None, sa_column=sa.Column(sa.String(16)))
    delivery_error: str | None = Field(default=None, sa_column=sa.Column(sa.String(500)))
    delivery_updated_at: datetime | None = _optional_timestamp()
    occurred_at: datetime | None = _optional_timestamp()
    """When WhatsApp received an inbound message."""
    created_at: datetime = _timestamp()


class AgentConfigRecord(AgentTable, table=True):
    """One version of a tenant's assistant configuration; versions are never updated."""

    __tablename__ = "agent_configs"

    tenant_id: str = _tenant()
    version: int = Field(sa_column=sa.Column(sa.Integer(), primary_key=True, autoincrement=False))
    config: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    """`AgentConfig` as JSON, without its version."""
    created_at: datetime = _timestamp()
    created_by: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))


class AgentTurnRecord(AgentTable, table=True):
    """The run log: what one assistant turn used, did and cost (muted turns too)."""

    __tablename__ = "agent_turns"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["tenant_id", "conversation_id"],
            ["conversations.tenant_id", "conversations.id"],
            name="fk_agent_turns_conversation",
        ),
        sa.Index("ix_agent_turns_tenant_created", "tenant_id", "created_at"),
        sa.Index("ix_agent_turns_tenant_conversation", "tenant_id", "conversation_id"),
    )

    tenant_id: str = _tenant()
    id: uuid.UUID = Field(
        default_factory=uuid.uuid4, sa_column=sa.Column(sa.Uuid(), primary_key=True)
    )
    conversation_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False))
    config_version: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    assistant: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    """offline, llm, rules (escalated before any assistant ran) or none (muted)."""
    model: str | None = Field(default=None, sa_column=sa.Column(sa.String(128)))
    prompt_tokens: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    completion_tokens: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    estimated_cost: Decimal = Field(
        default=Decimal("0"), sa_column=sa.Column(sa.Numeric(18, 8), nullable=False)
    )
    latency_ms: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    tool_calls: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    """Name, arguments, result items and bytes, error of each tool call."""
    guard_findings: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    outcome: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    """answered, escalated, fallback or muted."""
    escalation_reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.String(500)))
    message_ids: list[str] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    """The wamids of the customer messages folded into the turn."""
    created_at: datetime = _timestamp()


class DeadLetterRecord(AgentTable, table=True):
    """An event the agent's consumer gave up on (read back from the `.dlq`), kept for operators
    to see and replay. `id` is the event's id (a record that did not decode gets one derived
    from where it sat in the DLQ), so the same event dead-lettered again updates its row."""

    __tablename__ = "dead_letters"
    __table_args__ = (
        sa.CheckConstraint("status IN ('dead', 'replayed')", name="ck_dead_letters_status"),
        sa.Index("ix_dead_letters_tenant_failed", "tenant_id", "last_failed_at"),
        sa.Index("ix_dead_letters_failed", "last_failed_at"),
    )

    tenant_id: str = _tenant()
    id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), primary_key=True))
    source_topic: str = Field(sa_column=sa.Column(sa.String(249), nullable=False))
    event_type: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    """None when the record did not decode as the topic's event."""
    key: str | None = Field(default=None, sa_column=sa.Column(sa.String(512)))
    headers: dict[str, str] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    payload: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    error_type: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    error: str = Field(sa_column=sa.Column(sa.String(1000), nullable=False))
    attempts: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    times_dead_lettered: int = Field(default=1, sa_column=sa.Column(sa.Integer(), nullable=False))
    status: str = Field(default="dead", sa_column=sa.Column(sa.String(16), nullable=False))
    """`dead` until replayed; back to `dead` if a replay fails again."""
    conversation_id: uuid.UUID | None = Field(default=None, sa_column=sa.Column(sa.Uuid()))
    """The conversation it escalated (inbound messages only)."""
    first_failed_at: datetime = _timestamp()
    last_failed_at: datetime = _timestamp()
    replays: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False))
    replayed_at: datetime | None = _optional_timestamp()
    replayed_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(128)))


class WhatsAppNoticeRecord(AgentTable, table=True):
    """What WhatsApp said about a tenant's account, number or templates (quality, status),
    for operators to read; one row per event."""

    __tablename__ = "whatsapp_notices"
    __table_args__ = (sa.Index("ix_whatsapp_notices_tenant_received", "tenant_id", "received_at"),)

    tenant_id: str = _tenant()
    id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), primary_key=True))
    """The event's id."""
    field: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    waba_id: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    event: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    notice: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    """The whole notice as the gateway published it."""
    received_at: datetime = _timestamp()


class FeedCursorRecord(AgentTable, table=True):
    """The last feed number given out in a tenant; its row lock orders the tenant's feed."""

    __tablename__ = "feed_cursors"

    tenant_id: str = _tenant()
    last_seq: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))


class FeedEventRecord(AgentTable, table=True):
    """One event of a tenant's live feed (`GET /events`), numbered in commit order."""

    __tablename__ = "feed_events"

    tenant_id: str = _tenant()
    seq: int = Field(sa_column=sa.Column(sa.BigInteger(), primary_key=True, autoincrement=False))
    type: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    conversation_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False))
    data: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    created_at: datetime = _timestamp()


class OnboardingSessionRecord(AgentTable, table=True):
    """A setup-assistant conversation with a shop owner: answers so far, then the draft."""

    __tablename__ = "onboarding_sessions"

    tenant_id: str = _tenant()
    id: uuid.UUID = Field(
        default_factory=uuid.uuid4, sa_column=sa.Column(sa.Uuid(), primary_key=True)
    )
    language: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))
    mode: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    """`offline` (the fixed questions) or `llm` (a conversation)."""
    answers: dict[str, str] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    transcript: list[dict[str, str]] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    draft: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON()))
    """`{"config": ..., "faqs": [...]}` once every answer is in."""
    base_version: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    """The configuration version the draft was made from (a confirm on a newer one is stale)."""
    confirmed_version: int | None = Field(default=None, sa_column=sa.Column(sa.Integer()))
    created_by: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class ConversationMemoryRecord(AgentTable, table=True):
    """What a conversation remembers between turns (`domain.memory.Memory` as JSON), keyed by
    tenant and conversation: a turn only ever reads its own conversation's."""

    __tablename__ = "conversation_memories"

    tenant_id: str = _tenant()
    conversation_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), primary_key=True))
    memory: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False)
    )
    updated_at: datetime = _timestamp()


class SatisfactionRecord(AgentTable, table=True):
    """One satisfaction question asked after a resolve, and the customer's answer (1-5) once
    it comes. `outbound_id` is the question's message: one row per question sent."""

    __tablename__ = "satisfaction_answers"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "outbound_id", name="uq_satisfaction_outbound"),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="ck_satisfaction_score"),
        sa.Index("ix_satisfaction_customer", "tenant_id", "customer_id", "asked_at"),
        sa.Index("ix_satisfaction_answered", "tenant_id", "answered_at"),
    )

    tenant_id: str = _tenant()
    id: uuid.UUID = Field(
        default_factory=uuid.uuid4, sa_column=sa.Column(sa.Uuid(), primary_key=True)
    )
    conversation_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False))
    customer_id: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    outbound_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False))
    language: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))
    operator_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(128)))
    """Who resolved the conversation."""
    asked_at: datetime = _timestamp()
    score: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), nullable=True))
    answered_at: datetime | None = _optional_timestamp()
    answer_wamid: str | None = Field(default=None, sa_column=sa.Column(sa.String(256)))
