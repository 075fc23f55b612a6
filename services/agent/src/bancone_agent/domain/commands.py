"""What an operator asks of the agent over HTTP: each command has one handler
(`handlers.COMMAND_HANDLERS`). The tenant comes from the path, never from a body."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


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
class Assign:
    """Give the conversation to an operator (who then holds it)."""

    tenant_id: str
    conversation_id: uuid.UUID
    operator_id: str
    assigned_by: str


@dataclass(frozen=True)
class HandBack:
    """Give the conversation back to the assistant."""

    tenant_id: str
    conversation_id: uuid.UUID
    operator_id: str


@dataclass(frozen=True)
class Reopen:
    """Reopen a resolved conversation; the operator holds it."""

    tenant_id: str
    conversation_id: uuid.UUID
    operator_id: str


@dataclass(frozen=True)
class Reply:
    """An operator's text to the customer (published on the outbound topic)."""

    tenant_id: str
    conversation_id: uuid.UUID
    operator_id: str
    text: str


@dataclass(frozen=True)
class AddNote:
    """An internal note for the other operators: never sent."""

    tenant_id: str
    conversation_id: uuid.UUID
    operator_id: str
    text: str


@dataclass(frozen=True)
class ListConversations:
    tenant_id: str
    states: Sequence[str] = ()
    limit: int = 50
    assigned_to: str | None = None
    customer: str | None = None
    text: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    cursor: str | None = None


@dataclass(frozen=True)
class ShowConversation:
    tenant_id: str
    conversation_id: uuid.UUID


@dataclass(frozen=True)
class ListMessages:
    tenant_id: str
    conversation_id: uuid.UUID
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class ListTurns:
    tenant_id: str
    conversation_id: uuid.UUID


@dataclass(frozen=True)
class SumDailyUsage:
    tenant_id: str
    day: date


@dataclass(frozen=True)
class UsageByDay:
    """Per-day figures for charts, from `first` to `last` inclusive."""

    tenant_id: str
    first: date
    last: date


@dataclass(frozen=True)
class ReadFeed:
    """The tenant's live-feed events numbered after `after`."""

    tenant_id: str
    after: int
    limit: int = 200


@dataclass(frozen=True)
class ChangeConfig:
    """Make `config` (a whole configuration) the next version, if `base_version` is the
    latest."""

    tenant_id: str
    base_version: int
    config: Mapping[str, Any]
    actor: str


@dataclass(frozen=True)
class RollBackConfig:
    """Make version `to_version` again the active configuration, as a new version."""

    tenant_id: str
    to_version: int
    base_version: int
    actor: str


@dataclass(frozen=True)
class ShowConfig:
    """A configuration version (None: the active one)."""

    tenant_id: str
    version: int | None = None


@dataclass(frozen=True)
class ListConfigVersions:
    tenant_id: str


@dataclass(frozen=True)
class DiffConfig:
    tenant_id: str
    old: int
    new: int


@dataclass(frozen=True)
class StartOnboarding:
    tenant_id: str
    operator_id: str
    language: str = "it"


@dataclass(frozen=True)
class AnswerOnboarding:
    tenant_id: str
    session_id: uuid.UUID
    text: str


@dataclass(frozen=True)
class ConfirmOnboarding:
    """Store the (edited) draft: a configuration version and the FAQs, as the owner."""

    tenant_id: str
    session_id: uuid.UUID
    config: Mapping[str, Any]
    faqs: Sequence[Mapping[str, str]]
    operator_id: str
    authorization: str = field(repr=False)
