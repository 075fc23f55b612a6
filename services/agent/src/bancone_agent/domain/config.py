"""Per-tenant agent configuration: what the assistant is, may do, and when it hands off.

Stored versioned in the agent's database (every change a new version); each turn records the
version it used. A tenant without a stored version runs on `AgentConfig()` (version 0).
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from bancone_agent.domain.budget import MAX_TURN_TOKENS
from bancone_contracts.consent_keywords import (
    DEFAULT_KEYWORDS,
    ConsentAction,
    ConsentKeyword,
    Language,
    checked_keywords,
)

TOOL_NAMES = (
    "search_products",
    "get_product",
    "search_knowledge",
    "list_offers",
    "escalate_to_human",
    # the cart (`cart_tools.py`): offered only where the catalog's order API is wired
    "add_to_cart",
    "remove_from_cart",
    "view_cart",
    "set_fulfilment",
    "request_order_confirmation",
    "order_status",
)


class OpeningHours(BaseModel):
    """Weekly opening hours in the shop's time zone; outside them the holding message says so."""

    model_config = ConfigDict(frozen=True)

    timezone: str = "Europe/Rome"
    days: dict[int, list[tuple[time, time]]] = Field(
        default_factory=dict, description="ISO weekday (1=Monday) → open intervals"
    )


class EscalationRules(BaseModel):
    model_config = ConfigDict(frozen=True)

    keywords: tuple[str, ...] = Field(default=(), description="Any of these in a message escalates")
    topics: tuple[str, ...] = Field(default=(), description="Intents/topics always handed off")
    confidence_threshold: float = Field(default=0.0, ge=0, le=1)
    max_failed_turns: int = Field(default=2, ge=1, description="Escalate after N ungrounded turns")


class LlmOverride(BaseModel):
    """Per-tenant LLM endpoint; unset fields fall back to the agent's settings.

    The key is stored sealed (`adapters.config_store`); the base URL must be https on a public
    address unless the platform allows its host (checked where it is stored and on each call,
    `bancone_kit.public_urls`: resolving a host is I/O, so not here)."""

    model_config = ConfigDict(frozen=True)

    base_url: str | None = Field(default=None, max_length=500)
    api_key: SecretStr | None = Field(default=None, repr=False)
    model: str | None = Field(default=None, max_length=128)

    @field_validator("base_url")
    @classmethod
    def _absolute_http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("llm.base_url must be an absolute https URL")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise ValueError("llm.base_url takes no credentials, query or fragment")
        return value


class ConsentKeywordSetting(BaseModel):
    """One of the tenant's opt-out/opt-in phrases, as the notifier knows it
    (`bancone_contracts.consent_keywords`): the assistant does not answer a message that is one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    phrase: str = Field(min_length=1, max_length=100, examples=["basta"])
    action: ConsentAction
    language: Language

    def keyword(self) -> ConsentKeyword:
        return ConsentKeyword(self.phrase, self.action, self.language)


OverBudget = Literal["offline", "handoff"]


class LlmBudget(BaseModel):
    """What the tenant's LLM turns may spend per UTC day; past a cap the day's remaining turns
    are answered by the offline assistant, or handed to a person (`over_budget`). The turn's
    run log (and its `agent.turn.completed` event) says so in `error`."""

    model_config = ConfigDict(frozen=True)

    daily_tokens: int | None = Field(
        default=None, ge=0, description="Prompt + completion tokens per day; None = no cap"
    )
    daily_cost: Decimal | None = Field(
        default=None, ge=0, description="Estimated cost per day (run-log currency); None = no cap"
    )
    over_budget: OverBudget = "offline"


class AgentConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int = Field(default=0, ge=0, description="0 = built-in defaults, never stored")
    shop_name: str = "Bancone"
    persona: str = Field(
        default="You are the friendly shop assistant of {shop_name} on WhatsApp.",
        description="System prompt head; {shop_name} is filled in",
    )
    business_context: str = Field(default="", description="What the shop sells, tone, policies")
    default_language: str = "it"
    languages: tuple[str, ...] = ("it", "en", "es")
    llm: LlmOverride = Field(default_factory=LlmOverride)
    temperature: float = Field(default=0.2, ge=0, le=2)
    top_p: float = Field(default=1.0, gt=0, le=1)
    max_tokens: int = Field(default=400, ge=16, le=4096)
    enabled_tools: tuple[str, ...] = TOOL_NAMES
    escalation: EscalationRules = Field(default_factory=EscalationRules)
    inbound_per_minute: int = Field(
        default=20,
        ge=1,
        le=600,
        description="Messages a customer may send in a minute before one slow-down reply and "
        "silence until the minute passes (the messages are still stored)",
    )
    opening_hours: OpeningHours = Field(default_factory=OpeningHours)
    holding_message: dict[str, str] = Field(
        default_factory=lambda: {
            "it": "Grazie! Ti metto in contatto con una persona del negozio, ti risponderà al più presto.",
            "en": "Thanks! I'm passing you to a person from the shop, who will answer as soon as possible.",
            "es": "¡Gracias! Te paso con una persona de la tienda, que te responderá lo antes posible.",
        }
    )
    max_tool_rounds: int = Field(default=4, ge=1, le=10)
    max_turn_tokens: int = Field(default=6000, ge=256, le=MAX_TURN_TOKENS)
    budget: LlmBudget = Field(default_factory=LlmBudget)
    satisfaction_question: bool = Field(
        default=False,
        description="After an operator resolves a conversation (inside the 24-hour window), "
        "ask the customer for a 1-5 rating (a list message); answers go to the usage numbers",
    )

    consent_keywords: tuple[ConsentKeywordSetting, ...] | None = Field(
        default=None,
        description="The tenant's opt-out/opt-in keywords, the same list as the notifier's "
        "(`set_consent_keywords`); a message that is one gets the notifier's confirmation and "
        "no assistant reply. Unset: the defaults (STOP, BASTA, ALTO, ISCRIVIMI, ...); empty: none",
    )

    @field_validator("consent_keywords")
    @classmethod
    def _usable_keywords(
        cls, value: tuple[ConsentKeywordSetting, ...] | None
    ) -> tuple[ConsentKeywordSetting, ...] | None:
        if value is not None:
            checked_keywords(k.keyword() for k in value)  # InvalidKeywordError is a ValueError
        return value

    def consent_keyword_list(self) -> tuple[ConsentKeyword, ...]:
        """The keywords in force: the tenant's own, or the defaults."""
        if self.consent_keywords is None:
            return DEFAULT_KEYWORDS
        return tuple(k.keyword() for k in self.consent_keywords)

    def holding_message_for(self, language: str) -> str:
        return self.holding_message.get(language) or self.holding_message.get(
            self.default_language, next(iter(self.holding_message.values()))
        )


Money = Decimal
