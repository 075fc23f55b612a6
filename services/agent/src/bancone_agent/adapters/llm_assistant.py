"""The LLM assistant: the model calls the shop's tools, the guard checks what it says.

One turn is a short loop: a completion; its tool calls run (bound to the tenant, validated)
and their results go back; until the model writes a reply or the turn's budget of tool
rounds and tokens is spent. The reply then passes the grounding guard, or gets one
corrective retry with the findings, or is replaced by the offline assistant's answer
composed from the tool results — or, when nothing grounded can be said, by the holding
message and a hand-off. `escalate_to_human` hands off at once. Failure never means silence:
a timeout, 5xx, 429 past the SDK's retries, malformed output or a failing shop service all
end in the offline answer or the holding message, with the error in the run record.

Turns without an LLM endpoint (neither the platform's settings nor the tenant's config name
one), orders and messages without text go to the offline assistant directly. So do a tenant's
turns once its daily LLM budget (`AgentConfig.budget`) is spent — or they are handed to a
person, per the budget's `over_budget` — and the turn's run log says why in `error`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import openai
from openai.types.chat import ChatCompletion

from bancone_agent.adapters.llm_client import Endpoint, LlmClients, LlmOptions, endpoint_for
from bancone_agent.adapters.recorded_tools import RecordedShopTools
from bancone_agent.domain import (
    SILENT_KINDS,
    ContentKind,
    Intent,
    OfflineAssistant,
    Reply,
    ShopTools,
    ToolError,
    Turn,
)
from bancone_agent.domain.budget import (
    BudgetExhaustedError,
    DailySpend,
    TurnBudget,
    estimate_cost,
    for_the_model,
    over_daily_budget,
)
from bancone_agent.domain.cart_tools import CartSession
from bancone_agent.domain.fallback import offline_answer
from bancone_agent.domain.guard import (
    CatalogueNames,
    Finding,
    GroundingSources,
    check_grounding,
    correction,
    name_key,
)
from bancone_agent.domain.order_port import OrderTools
from bancone_agent.domain.prompt import customer_messages, history_messages, system_prompt
from bancone_agent.domain.run import GuardFinding, TurnOutcome, TurnRun
from bancone_agent.domain.text import fold
from bancone_agent.domain.tools import TurnTools
from bancone_agent.metrics import record_findings
from bancone_kit.logging import get_logger
from bancone_kit.public_urls import UnsafeUrlError

log = get_logger(__name__)

Message = dict[str, Any]
SpendToday = Callable[[str, date], Awaitable[DailySpend]]
"""What a tenant's turns spent on a UTC day (`adapters.daily_spend`)."""
BUDGET_ESCALATION = "llm_budget"


class MalformedResponseError(Exception):
    """The endpoint answered, but not with a usable completion."""


class LlmAssistant:
    """`Assistant` backed by an OpenAI-compatible chat model with tools."""

    name = "llm"

    def __init__(
        self,
        options: LlmOptions,
        *,
        offline: OfflineAssistant | None = None,
        names: CatalogueNames | None = None,
        clients: LlmClients | None = None,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
        spend_today: SpendToday | None = None,
        orders_for: Callable[[str], OrderTools] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.options = options
        self._orders_for = orders_for
        self._clock = clock
        self._offline = offline or OfflineAssistant()
        self._names = names or CatalogueNames()
        self._clients = clients or LlmClients(options)
        self._today = today
        self._spend_today = spend_today

    async def aclose(self) -> None:
        await self._clients.aclose()

    async def respond(self, turn: Turn, tools: ShopTools) -> Reply | None:
        if turn.kind in SILENT_KINDS:
            return None
        endpoint = endpoint_for(self.options, turn.config)
        text = (turn.text or "").strip()
        if endpoint is None or turn.kind is ContentKind.ORDER or not text:
            return await self._offline_turn(turn, tools)
        spent = await self._over_budget(turn)
        if spent is not None:
            return await self._over_budget_turn(turn, tools, spent)
        session = _Session(self, turn, tools, endpoint, text)
        return await session.run()

    async def _over_budget(self, turn: Turn) -> str | None:
        """Why the tenant's daily LLM budget forbids this turn, or None."""
        caps = turn.config.budget
        if self._spend_today is None or (caps.daily_tokens is None and caps.daily_cost is None):
            return None
        spent = await self._spend_today(turn.tenant_id, self._today())
        return over_daily_budget(spent, caps.daily_tokens, caps.daily_cost)

    async def _over_budget_turn(self, turn: Turn, tools: ShopTools, reason: str) -> Reply | None:
        """The offline answer, or the holding message and a hand-off, per the tenant's
        `budget.over_budget`; the run log's `error` names the budget either way."""
        log.warning("llm.daily_budget_spent", tenant_id=turn.tenant_id, reason=reason)
        if turn.config.budget.over_budget == "handoff":
            return Reply(
                text=turn.config.holding_message_for(turn.reply_language),
                language=turn.reply_language,
                intent=turn.understanding.intent,
                wants_human=True,
                escalation_reason=BUDGET_ESCALATION,
                run=TurnRun(assistant="llm", outcome=TurnOutcome.ESCALATED, error=reason),
            )
        reply = await self._offline_turn(turn, tools)
        if reply is None or reply.run is None:
            return reply
        return reply.model_copy(update={"run": reply.run.model_copy(update={"error": reason})})

    async def _offline_turn(self, turn: Turn, tools: ShopTools) -> Reply | None:
        reply = await self._offline.respond(turn, tools)
        if reply is None:
            return None
        reason = None
        if reply.wants_human:
            reason = "customer_request" if reply.intent is Intent.HUMAN_REQUEST else "failure"
        outcome = TurnOutcome.ESCALATED if reply.wants_human else TurnOutcome.ANSWERED
        return reply.model_copy(
            update={
                "escalation_reason": reply.escalation_reason or reason,
                "run": reply.run or TurnRun(assistant="offline", outcome=outcome),
            }
        )


class _Session:
    """One turn's conversation with the model; never raises, always ends in a Reply."""

    def __init__(
        self, owner: LlmAssistant, turn: Turn, shop: ShopTools, endpoint: Endpoint, text: str
    ) -> None:
        self.owner = owner
        self.turn = turn
        self.shop = shop
        self.endpoint = endpoint
        self.text = text
        self.config = turn.config
        self.language = turn.reply_language
        self.understanding = turn.understanding
        orders = owner._orders_for(turn.tenant_id) if owner._orders_for is not None else None
        self.cart = CartSession(turn, orders, owner._clock) if orders is not None else None
        self.tools = TurnTools(shop, self.config.enabled_tools, self.cart)
        self.budget = TurnBudget(
            max_rounds=self.config.max_tool_rounds,
            max_tokens=self.config.max_turn_tokens,
            reply_tokens=self.config.max_tokens,
        )
        self.findings: list[GuardFinding] = []
        self.error: str | None = None
        self.started = time.perf_counter()

    # -- the turn ------------------------------------------------------------------------

    async def run(self) -> Reply:
        if self.understanding.intent is Intent.HUMAN_REQUEST:
            return self.escalate("customer_request")
        try:
            return await self.converse()
        except (
            openai.APIError,
            ToolError,
            BudgetExhaustedError,
            MalformedResponseError,
            UnsafeUrlError,
        ) as error:
            self.error = _describe(error)
            log.warning(
                "llm.turn_failed",
                tenant_id=self.turn.tenant_id,
                conversation_id=self.turn.conversation_id,
                error=self.error,
            )
            return await self.fall_back()
        except Exception as error:  # a bug must not silence the customer either
            self.error = _describe(error)
            log.exception("llm.turn_crashed", tenant_id=self.turn.tenant_id)
            return await self.fall_back()

    async def converse(self) -> Reply:
        messages = self.opening_messages()
        attempt = 1
        while True:
            force_text = self.budget.rounds_left == 0
            completion = await self.complete(messages, force_text=force_text)
            message = completion.choices[0].message
            calls = message.tool_calls or []
            if calls:
                self.budget.take_round()
                messages.append(_assistant_message(message.content, calls))
                for call in calls:
                    function = getattr(call, "function", None)
                    if function is None:
                        raise MalformedResponseError(f"unsupported tool call type {call.type!r}")
                    outcome = await self.tools.call(function.name, function.arguments)
                    if outcome.escalation is not None:
                        log.info(
                            "llm.escalated_by_model",
                            tenant_id=self.turn.tenant_id,
                            reason=outcome.escalation.reason,
                        )
                        return self.escalate("model")
                    messages.append(
                        {"role": "tool", "tool_call_id": call.id, "content": outcome.content}
                    )
                self.owner._names.learn(self.turn.tenant_id, self.tools.evidence.products.values())
                continue
            text = (message.content or "").strip()
            if not text:
                raise MalformedResponseError("the model returned neither text nor tool calls")
            findings = check_grounding(text, self.sources())
            self.findings += record_findings(
                findings,
                attempt,
                tenant_id=self.turn.tenant_id,
                conversation_id=self.turn.conversation_id,
            )
            if not findings:
                return self.answered(text)
            if attempt == 2:
                self.error = "ungrounded after the corrective retry: " + _listed(findings)
                return await self.fall_back()
            attempt = 2
            messages.append({"role": "assistant", "content": text})
            messages.append({"role": "user", "content": correction(findings)})

    async def complete(self, messages: list[Message], *, force_text: bool) -> ChatCompletion:
        cap = self.budget.completion_cap()
        client = self.owner._clients.client(self.endpoint)
        tools = self.tools.openai_tools()
        extra: dict[str, Any] = {}
        if tools:
            extra["tools"] = tools
            extra["tool_choice"] = "none" if force_text else "auto"
        completion = await client.chat.completions.create(
            model=self.endpoint.model,
            messages=messages,  # type: ignore[arg-type]  # plain dicts in OpenAI's shape
            temperature=self.config.temperature,
            top_p=self.config.top_p,
            max_tokens=cap,
            **extra,
        )
        if completion.usage is not None:
            self.budget.add_usage(
                completion.usage.prompt_tokens, completion.usage.completion_tokens
            )
        if not completion.choices:
            raise MalformedResponseError("a completion without choices")
        return completion

    def opening_messages(self) -> list[Message]:
        prompt = system_prompt(
            self.config,
            self.turn.shop_name,
            self.language,
            tuple(self.tools.specs),
            self.owner._today(),
        )
        return [
            {"role": "system", "content": prompt},
            *history_messages(self.turn.memory),
            *(
                {"role": "user", "content": t}
                for t in for_the_model(customer_messages(self.turn, self.text))
            ),
        ]

    def sources(self) -> GroundingSources:
        evidence = self.tools.evidence
        texts = [
            self.turn.shop_name,
            self.config.shop_name,
            self.config.business_context,
            *(str(n) for n in evidence.result_counts),
            *(self.cart.facts() if self.cart is not None else ()),
        ]
        budget = self.understanding.budget
        if budget is not None:
            texts += [str(v) for v in (budget.min_price, budget.max_price) if v is not None]
        return GroundingSources(
            products=tuple(evidence.products.values()),
            knowledge=tuple(evidence.knowledge),
            texts=tuple(texts),
            customer_texts=(self.text, *self.turn.history),
            known_names=self.owner._names.keys(self.turn.tenant_id),
        )

    # -- endings -------------------------------------------------------------------------

    def answered(self, text: str) -> Reply:
        """The model's reply; when it asked for the order confirmation, the order desk's
        summary with the buttons instead (the catalog's figures, not the model's words)."""
        cart = self.cart
        if cart is not None and cart.confirmation is not None:
            return cart.confirmation.model_copy(update={"run": self.record(TurnOutcome.ANSWERED)})
        evidence = self.tools.evidence
        cited = tuple(p for p in evidence.products.values() if _mentions(text, p.name))
        return Reply(
            text=text,
            language=self.language,
            intent=self.understanding.intent,
            products_cited=cited,
            knowledge_cited=tuple(evidence.knowledge[:5]),
            run=self.record(TurnOutcome.ANSWERED),
            cart=cart.cart if cart is not None and cart.changed else None,
            quote=cart.quotes[-1] if cart is not None and cart.quotes else None,
        )

    def escalate(self, reason: str) -> Reply:
        return Reply(
            text=self.config.holding_message_for(self.language),
            language=self.language,
            intent=self.understanding.intent,
            wants_human=True,
            escalation_reason=reason,
            run=self.record(TurnOutcome.ESCALATED),
        )

    async def fall_back(self) -> Reply:
        """The offline answer from this turn's tool results (or the live tools), checked by
        the guard like any reply; else the holding message and a hand-off."""
        evidence = self.tools.evidence
        try:
            recorded = None if evidence.empty else RecordedShopTools(evidence)
            reply, tools_failed = await offline_answer(
                self.owner._offline, self.turn, self.shop, recorded
            )
        except Exception as error:  # the fallback must not fail the customer either
            log.exception("llm.fallback_crashed", tenant_id=self.turn.tenant_id)
            reply, tools_failed = None, True
            self.error = f"{self.error}; fallback: {_describe(error)}"
        if reply is not None:
            leftover = check_grounding(reply.text, _reply_sources(reply, self.sources()))
            if not leftover:
                return reply.model_copy(update={"run": self.record(TurnOutcome.FALLBACK)})
            log.error(
                "llm.fallback_ungrounded",
                tenant_id=self.turn.tenant_id,
                findings=_listed(leftover),
            )
        if self.understanding.intent is Intent.HUMAN_REQUEST:
            return self.escalate("customer_request")
        return self.escalate("failure" if tools_failed else "ungrounded")

    def record(self, outcome: TurnOutcome) -> TurnRun:
        budget = self.budget
        return TurnRun(
            assistant="llm",
            model=self.endpoint.model,
            prompt_tokens=budget.prompt_tokens,
            completion_tokens=budget.completion_tokens,
            estimated_cost=estimate_cost(
                self.owner.options.prices,
                self.endpoint.model,
                budget.prompt_tokens,
                budget.completion_tokens,
            ),
            tool_calls=tuple(self.tools.records),
            guard_findings=tuple(self.findings),
            outcome=outcome,
            error=self.error[:1000] if self.error else None,
        )


def _assistant_message(content: str | None, calls: Sequence[Any]) -> Message:
    return {
        "role": "assistant",
        "content": content,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {
                    "name": call.function.name,
                    "arguments": call.function.arguments,
                },
            }
            for call in calls
            if getattr(call, "function", None) is not None
        ],
    }


def _reply_sources(reply: Reply, base: GroundingSources) -> GroundingSources:
    """What an offline reply may rely on: what it cites (its quote's lines and total too),
    besides the turn's sources."""
    return GroundingSources(
        products=(*base.products, *reply.products_cited),
        knowledge=(*base.knowledge, *reply.knowledge_cited),
        texts=(*base.texts, *(reply.quote.facts() if reply.quote is not None else ())),
        customer_texts=base.customer_texts,
        known_names=base.known_names,
    )


def _mentions(text: str, product_name: str) -> bool:
    key = name_key(product_name)
    return key is not None and key in fold(text)


def _listed(findings: Sequence[Finding]) -> str:
    return ", ".join(f"{f.kind}:{f.value}" for f in findings)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:500]
