"""The sandbox's in-memory world: channels, accepted messages, queued faults, counters.

One process, one event loop: no locks needed, and a restart forgets everything.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bancone_sandbox.errors import DEFAULT_CODE_FOR_STATUS, MESSAGES
from bancone_sandbox.meta_rules import MetaRules
from bancone_sandbox.payments_state import PaymentsState
from bancone_sandbox.settings import ChannelConfig, DelayPhase, SandboxSettings


@dataclass
class SentMessage:
    """A message the sandbox accepted, as a test or `bancone chat` will read it back."""

    id: str
    phone_number_id: str
    to: str
    input: str
    type: str
    body: dict[str, Any]
    graph_version: str
    received_at: datetime
    statuses: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "phone_number_id": self.phone_number_id,
            "to": self.to,
            "input": self.input,
            "type": self.type,
            "received_at": self.received_at.isoformat(),
            "graph_version": self.graph_version,
            "body": self.body,
            "statuses": list(self.statuses),
        }


@dataclass
class ReadReceipt:
    """A mark-as-read call: which inbound wamid, and whether typing was shown."""

    phone_number_id: str
    message_id: str
    typing_indicator: bool
    received_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "phone_number_id": self.phone_number_id,
            "message_id": self.message_id,
            "typing_indicator": self.typing_indicator,
            "received_at": self.received_at.isoformat(),
        }


@dataclass
class Fault:
    """The next `remaining` sends (optionally of one number) fail with this status and code.

    Status 200 means accepted with a wamid, then a `failed` status webhook with `code`.
    """

    status: int
    code: int
    message: str
    error_subcode: int | None
    remaining: int
    phone_number_id: str | None = None

    @classmethod
    def create(
        cls,
        status: int,
        count: int,
        code: int | None = None,
        message: str | None = None,
        error_subcode: int | None = None,
        phone_number_id: str | None = None,
    ) -> Fault:
        resolved = code if code is not None else DEFAULT_CODE_FOR_STATUS.get(status, 131000)
        return cls(
            status=status,
            code=resolved,
            message=message or MESSAGES.get(resolved, "Something went wrong"),
            error_subcode=error_subcode,
            remaining=count,
            phone_number_id=phone_number_id,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "error_subcode": self.error_subcode,
            "remaining": self.remaining,
            "phone_number_id": self.phone_number_id,
        }


@dataclass
class Counters:
    attempts: int = 0
    accepted: int = 0
    rejected: int = 0
    faulted: int = 0
    reads: int = 0
    in_flight: int = 0
    status_webhooks_posted: int = 0
    status_webhooks_failed: int = 0


@dataclass
class SandboxState:
    """Everything the sandbox knows; built from settings, changed through the control API."""

    channels: dict[str, ChannelConfig]
    delay_seconds: float
    delay_phase: DelayPhase
    status_interval_seconds: float
    messages: list[SentMessage] = field(default_factory=list)
    reads: list[ReadReceipt] = field(default_factory=list)
    faults: deque[Fault] = field(default_factory=deque)
    counters: Counters = field(default_factory=Counters)
    payments: PaymentsState = field(default_factory=PaymentsState)
    rules: MetaRules = field(default_factory=MetaRules)

    @classmethod
    def from_settings(cls, settings: SandboxSettings) -> SandboxState:
        return cls(
            channels={c.phone_number_id: c for c in settings.channels},
            delay_seconds=settings.send_delay_seconds,
            delay_phase=settings.send_delay_phase,
            status_interval_seconds=settings.status_interval_seconds,
            rules=MetaRules.from_settings(settings),
        )

    def take_fault(self, phone_number_id: str) -> Fault | None:
        """Consume one use of the first queued fault that applies to this number."""
        for fault in self.faults:
            if fault.phone_number_id in (None, phone_number_id):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def messages_for(self, to: str | None, phone_number_id: str | None) -> list[SentMessage]:
        """Accepted messages, oldest first, optionally for one recipient and/or one number."""
        return [
            m
            for m in self.messages
            if (to is None or m.to == to) and (phone_number_id in (None, m.phone_number_id))
        ]

    def find(self, wamid: str) -> SentMessage | None:
        return next((m for m in self.messages if m.id == wamid), None)


def utc_now() -> datetime:
    return datetime.now(UTC)
