"""What an operator asks of the agent over HTTP: each command has one handler
(`handlers.COMMAND_HANDLERS`). The tenant comes from the path, never from a body."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class TakeOver:
    """An operator takes the conversation: the assistant falls silent from this commit on."""

    tenant_id: str
    conversation_id: uuid.UUID
    operator_id: str


@dataclass(frozen=True)
class Resolve:
    """Close the conversation; the customer's next message goes to the assistant again."""

    tenant_id: str
    conversation_id: uuid.UUID
    operator_id: str


@dataclass(frozen=True)
class ListConversations:
    tenant_id: str
    states: Sequence[str]
    limit: int


@dataclass(frozen=True)
class ShowConversation:
    tenant_id: str
    conversation_id: uuid.UUID
    last_messages: int = 50


@dataclass(frozen=True)
class SumDailyUsage:
    tenant_id: str
    day: date
