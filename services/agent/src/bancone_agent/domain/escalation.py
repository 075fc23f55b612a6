"""When a conversation goes to a person, and what the customer is told meanwhile.

Checked before the assistant runs (the customer asked for a person, in words or with a
button; a configured keyword or topic) — no model call is spent on a conversation that is
leaving — and after it (the assistant wants a human; too many failed turns in a row).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bancone_agent.domain.assistant import Reply
from bancone_agent.domain.config import AgentConfig, EscalationRules, OpeningHours
from bancone_agent.domain.run import TurnOutcome
from bancone_agent.domain.text import fold
from bancone_agent.domain.understanding import (
    DEFAULT_READER,
    Intent,
    MessageReader,
    Understanding,
)


class EscalationReason(StrEnum):
    CUSTOMER_REQUEST = "customer_request"
    """The customer asked for a person, in words or with a button."""
    KEYWORD = "keyword"
    TOPIC = "topic"
    MODEL = "model"
    """The assistant decided (the LLM called `escalate_to_human`, or offline rules)."""
    FAILURE = "failure"
    """The assistant failed outright."""
    UNGROUNDED = "ungrounded"
    FAILED_TURNS = "failed_turns"


Actor = Literal["ai", "customer", "system"]


@dataclass(frozen=True)
class Escalation:
    reason: str
    actor: Actor
    detail: str | None = None
    """E.g. the keyword or topic that fired."""

    @property
    def description(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


@dataclass(frozen=True)
class CustomerSaid:
    """One customer message as escalation rules see it."""

    text: str | None
    button_id: str | None = None
    """The id of the interactive button or list row the customer tapped, if any."""
    understanding: Understanding | None = None
    """The text as the turn read it (once); read here only when the caller did not."""

    def understood(self, reader: MessageReader = DEFAULT_READER) -> Understanding | None:
        """What the text asks for; None when there is no text."""
        if not self.text:
            return None
        return self.understanding or reader.read(self.text)


HUMAN_BUTTON_IDS: Final = frozenset(
    {"human", "human_request", "talk_to_human", "operator", "agent"}
)
"""Ids of reply buttons that ask for a person (ours are `human` or `human:<anything>`)."""


def is_human_button(button_id: str | None) -> bool:
    if not button_id:
        return False
    folded = button_id.strip().casefold()
    return folded in HUMAN_BUTTON_IDS or folded.startswith(("human:", "human_", "handoff"))


def asks_for_human(text: str | None, reader: MessageReader = DEFAULT_READER) -> bool:
    """The customer asks for a person, in any language the reader knows (it, en, es)."""
    return _asks_for_human(CustomerSaid(text).understood(reader))


def _asks_for_human(understood: Understanding | None) -> bool:
    return understood is not None and understood.intent is Intent.HUMAN_REQUEST


def _phrase(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(fold(pattern).strip())}(?!\w)")


def matching_keyword(text: str, keywords: Iterable[str]) -> str | None:
    """The first configured keyword or phrase in `text` (accents and case ignored)."""
    folded = fold(text)
    for keyword in keywords:
        if keyword.strip() and _phrase(keyword).search(folded):
            return keyword
    return None


def matching_topic(
    text: str,
    topics: Iterable[str],
    reader: MessageReader = DEFAULT_READER,
    understood: Understanding | None = None,
) -> str | None:
    """The first configured topic the text is about: an intent (`order`, `price_question`),
    a FAQ topic (`returns`, `shipping`), or — for topics the reader doesn't know — the word."""
    wanted = [t for t in topics if t.strip()]
    if not wanted:
        return None
    understood = understood or reader.read(text)
    known = {understood.intent.value, *understood.faq_topics}
    for topic in wanted:
        if topic in known or matching_keyword(text, (topic.replace("_", " "),)):
            return topic
    return None


def before_turn(
    said: Sequence[CustomerSaid],
    rules: EscalationRules,
    reader: MessageReader = DEFAULT_READER,
) -> Escalation | None:
    """An escalation the customer's messages trigger by themselves, before any assistant."""
    for message in said:
        if is_human_button(message.button_id):
            return Escalation(EscalationReason.CUSTOMER_REQUEST, "customer", "button")
    understood = [message.understood(reader) for message in said]
    if any(_asks_for_human(u) for u in understood):
        return Escalation(EscalationReason.CUSTOMER_REQUEST, "customer")
    for message, reading in zip(said, understood, strict=True):
        if not message.text:
            continue
        keyword = matching_keyword(message.text, rules.keywords)
        if keyword is not None:
            return Escalation(EscalationReason.KEYWORD, "system", keyword)
        topic = matching_topic(message.text, rules.topics, reader, reading)
        if topic is not None:
            return Escalation(EscalationReason.TOPIC, "system", topic)
    return None


def turn_failed(reply: Reply) -> bool:
    """The assistant could not give a grounded answer: it fell back or its path failed.

    Not understanding a message ("ok", "👍🏻") is no failure: the customer gets a helpful
    answer, and escalating small talk would bury the shop's people in chats.
    """
    run = reply.run
    return run is not None and (run.outcome is TurnOutcome.FALLBACK or run.error is not None)


def after_turn(
    reply: Reply, failed_turns: int, rules: EscalationRules
) -> tuple[Escalation | None, int]:
    """The escalation a reply calls for, and the conversation's failed turns in a row after it.

    A failed turn counts one more; any other reply resets the count. Reaching
    `max_failed_turns` escalates (and resets the count: the person starts afresh).
    """
    if reply.wants_human:
        return Escalation(reply.escalation_reason or EscalationReason.MODEL, "ai"), 0
    count = failed_turns + 1 if turn_failed(reply) else 0
    if count >= rules.max_failed_turns:
        return Escalation(EscalationReason.FAILED_TURNS, "system", str(count)), 0
    return None, count


# --- what the customer reads ---------------------------------------------------------------

CLOSED_NOTES: Final = {
    "it": "Ora il negozio è chiuso: ti risponderemo appena riapriamo.",
    "en": "The shop is closed right now: we'll answer as soon as we reopen.",
    "es": "Ahora la tienda está cerrada: te responderemos en cuanto volvamos a abrir.",
}


def is_open(hours: OpeningHours, at: datetime) -> bool | None:
    """Whether the shop is open at `at`; None when no hours are configured."""
    if not hours.days:
        return None
    try:
        local = at.astimezone(ZoneInfo(hours.timezone))
    except ZoneInfoNotFoundError:
        return None
    now = local.time().replace(tzinfo=None)
    intervals = hours.days.get(local.isoweekday(), [])
    return any(start <= now < end for start, end in intervals)


def holding_message(config: AgentConfig, language: str, at: datetime) -> str:
    """The configured holding message in the customer's language, saying so when closed."""
    text = config.holding_message_for(language).strip()
    if is_open(config.opening_hours, at) is False:
        note = CLOSED_NOTES.get(language) or CLOSED_NOTES.get(config.default_language)
        if note:
            text = f"{text}\n{note}"
    return text
