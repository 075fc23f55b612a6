"""Who answers a conversation: the assistant, nobody yet (a person was asked for), or a person.

`bot` → `waiting_for_human` (escalated) → `human` (an operator took over) → `resolved`, and
the next customer message brings a resolved conversation back to `bot`. An operator may also
take over or resolve from any state, hand it back to the assistant (`resumed`) or reopen a
resolved one (held by them: `human_took_over`; the v1 contract has no other transition names). The machine is a table so tests can read it whole; the
agent applies it under a row lock, in the transaction that would stage a reply, so a reply
and a takeover can never both win.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from bancone_contracts.events.conversation import ConversationTransition


class ConversationState(StrEnum):
    BOT = "bot"
    """The assistant answers."""
    WAITING_FOR_HUMAN = "waiting_for_human"
    """Escalated: the customer got the holding message, the assistant is silent."""
    HUMAN = "human"
    """An operator holds the conversation; the assistant is silent."""
    RESOLVED = "resolved"
    """Closed by an operator; the customer's next message hands it back to the assistant."""


class Trigger(StrEnum):
    CUSTOMER_MESSAGE = "customer_message"
    ESCALATE = "escalate"
    TAKEOVER = "takeover"
    RESOLVE = "resolve"
    HANDBACK = "handback"
    """An operator gives the conversation back to the assistant."""
    REOPEN = "reopen"
    """An operator reopens a resolved conversation and holds it."""


@dataclass(frozen=True)
class Move:
    """Where a trigger takes a conversation, and the event that announces it (None: none)."""

    state: ConversationState
    transition: ConversationTransition | None = None


_S = ConversationState
_T = Trigger

TRANSITIONS: Final[Mapping[tuple[ConversationState, Trigger], Move]] = {
    (_S.BOT, _T.CUSTOMER_MESSAGE): Move(_S.BOT),
    (_S.BOT, _T.ESCALATE): Move(_S.WAITING_FOR_HUMAN, "escalated"),
    (_S.BOT, _T.TAKEOVER): Move(_S.HUMAN, "human_took_over"),
    (_S.BOT, _T.RESOLVE): Move(_S.RESOLVED, "resolved"),
    (_S.WAITING_FOR_HUMAN, _T.CUSTOMER_MESSAGE): Move(_S.WAITING_FOR_HUMAN),
    (_S.WAITING_FOR_HUMAN, _T.ESCALATE): Move(_S.WAITING_FOR_HUMAN),
    (_S.WAITING_FOR_HUMAN, _T.TAKEOVER): Move(_S.HUMAN, "human_took_over"),
    (_S.WAITING_FOR_HUMAN, _T.RESOLVE): Move(_S.RESOLVED, "resolved"),
    (_S.HUMAN, _T.CUSTOMER_MESSAGE): Move(_S.HUMAN),
    (_S.HUMAN, _T.ESCALATE): Move(_S.HUMAN),
    (_S.HUMAN, _T.TAKEOVER): Move(_S.HUMAN),
    (_S.HUMAN, _T.RESOLVE): Move(_S.RESOLVED, "resolved"),
    (_S.RESOLVED, _T.CUSTOMER_MESSAGE): Move(_S.BOT, "resumed"),
    (_S.RESOLVED, _T.ESCALATE): Move(_S.WAITING_FOR_HUMAN, "escalated"),
    (_S.RESOLVED, _T.TAKEOVER): Move(_S.HUMAN, "human_took_over"),
    (_S.RESOLVED, _T.RESOLVE): Move(_S.RESOLVED),
    (_S.BOT, _T.HANDBACK): Move(_S.BOT),
    (_S.WAITING_FOR_HUMAN, _T.HANDBACK): Move(_S.BOT, "resumed"),
    (_S.HUMAN, _T.HANDBACK): Move(_S.BOT, "resumed"),
    (_S.RESOLVED, _T.HANDBACK): Move(_S.RESOLVED),
    (_S.BOT, _T.REOPEN): Move(_S.BOT),
    (_S.WAITING_FOR_HUMAN, _T.REOPEN): Move(_S.WAITING_FOR_HUMAN),
    (_S.HUMAN, _T.REOPEN): Move(_S.HUMAN),
    (_S.RESOLVED, _T.REOPEN): Move(_S.HUMAN, "human_took_over"),
}
"""Every (state, trigger) pair: a machine with no undefined moves."""


def move(state: ConversationState | str, trigger: Trigger) -> Move:
    """Where `trigger` takes a conversation in `state`."""
    return TRANSITIONS[(ConversationState(state), trigger)]


def assistant_may_answer(state: ConversationState | str) -> bool:
    """Whether a customer message in this state is the assistant's to answer (a resolved
    conversation goes back to the assistant with that very message)."""
    return move(state, Trigger.CUSTOMER_MESSAGE).state is ConversationState.BOT


def held_by_people(state: ConversationState | str) -> bool:
    """Waiting for or held by a person: the assistant stays silent."""
    return not assistant_may_answer(state)
