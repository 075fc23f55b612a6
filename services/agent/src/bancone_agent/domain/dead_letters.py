"""Dead letters as operators handle them: listed with their error, replayed after a fix.

A dead letter is `dead` until an operator replays it (`replayed`); if the replay fails again
it is `dead` once more. Replaying stages the original record on its source topic with the
same event id, so the consumer's inbox and the conversation's state decide what it does:
a customer message that escalated when it died is recorded on replay, never answered (the
customer already had the holding message).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class DeadLetterStatus(StrEnum):
    DEAD = "dead"
    REPLAYED = "replayed"


DEAD_LETTER_ESCALATION: Final = "dead_letter"
"""The escalation reason of a conversation whose message could not be handled."""

REPLAY_ALL_LIMIT: Final = 500
"""Most dead letters one "replay all" call stages (call again for more)."""


class DeadLetterNotFoundError(Exception):
    """No dead letter with this id in this tenant (another tenant's ids are not found either)."""

    def __init__(self, dead_letter_id: uuid.UUID) -> None:
        super().__init__(f"no dead letter {dead_letter_id} in this tenant")


class DeadLetterAlreadyReplayedError(Exception):
    """The dead letter was replayed and has not failed again since."""

    def __init__(self, dead_letter_id: uuid.UUID) -> None:
        super().__init__(f"dead letter {dead_letter_id} was already replayed")


class PoisonedForTestError(Exception):
    """Raised by the dev-only poison hook (`AgentSettings.dev_poison_marker`): the turn fails
    every attempt, as a deterministic bug would, so the e2e tier can drive the DLQ."""


@dataclass(frozen=True)
class ListDeadLetters:
    """One tenant's dead letters, or every tenant's (`tenant_id` None: platform operators)."""

    tenant_id: str | None
    status: DeadLetterStatus | None = None
    limit: int = 100


@dataclass(frozen=True)
class ReplayDeadLetter:
    tenant_id: str
    dead_letter_id: uuid.UUID
    operator_id: str


@dataclass(frozen=True)
class ReplayDeadLetters:
    """Replay every `dead` one of the tenant (at most `REPLAY_ALL_LIMIT`, oldest first)."""

    tenant_id: str
    operator_id: str


def poisoned(text: str | None, marker: str | None) -> bool:
    """Whether the dev poison hook fails a message with this text."""
    return marker is not None and marker != "" and marker in (text or "")
