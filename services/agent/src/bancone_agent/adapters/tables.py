"""The agent's tables: customers, their conversation, and every message in and out.

Every primary key, unique key and index starts with `tenant_id`, so each lookup stays inside
one tenant's rows. A customer has one conversation per shop, as WhatsApp shows one chat;
its `state` follows `domain.conversation`. Per tenant, `agent_configs` keeps every version
of the assistant's configuration and `agent_turns` the run log (one row per turn).
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
    "Direction",
    "MessageRecord",
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
    """`customer`, `ai` or `human`."""
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
