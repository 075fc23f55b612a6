"""The agent's use cases: answer a customer's turn, hand a conversation to people, follow
what became of our messages. Plain functions; the registry at the bottom says who handles what.

A turn is every customer message of one conversation the consumer had queued when it picked
them up (`subscribe_keyed(fold=True)`): three quick messages sent while the previous turn
ran are one turn with one answer. It is handled in two steps. First, with no transaction
open, the plan (which events are new, the conversation's state, the tenant's configuration)
and the draft: the assistant's reply, or an escalation the messages trigger by themselves, or
silence when people hold the conversation. Then ONE transaction, owning every event id of the
turn in the inbox, locks the conversation row and re-reads its state: a takeover committed
while the assistant was thinking mutes the reply here (PostgreSQL `FOR UPDATE`; on SQLite
the inbox insert made this transaction the single writer). In it go the customer, the
conversation and its state change (`bancone.conversation.v1`), the inbound messages, the
reply (outbox + messages) and the run log row with its `agent.turn.completed` event — all
committed together or not at all.

A customer writing faster than the shop's `inbound_per_minute` (`domain.pace`) gets one
slow-down reply instead of an answer, then silence until a minute has passed since it; the
messages are stored all the same and the run log says the pace rule decided (assistant
`pace`). The window is read from the agent's own rows, re-checked under the conversation lock.

Ids are derived from the turn's last event id (uuid5), so a turn recomputed after a crash
stages the same outbound message and the notifier sends it once; a redelivered event finds
its inbox row and does nothing; a wamid already recorded under another event id is claimed
but neither recorded again nor answered.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from bancone_agent import dead_letter_handlers, delivery_handlers, order_handlers, update_handlers
from bancone_agent.adapters import conversations, dead_letters, repository
from bancone_agent.config_handlers import (
    change_config,
    diff_config,
    list_config_versions,
    roll_back_config,
    show_config,
)
from bancone_agent.deps import AgentDeps, Shop, dev_config_box
from bancone_agent.domain.assistant import Reply as AssistantReply
from bancone_agent.domain.assistant import Turn
from bancone_agent.domain.commands import (
    AddNote,
    AnswerOnboarding,
    Assign,
    ChangeConfig,
    ConfirmOnboarding,
    DiffConfig,
    HandBack,
    ListConfigVersions,
    ListConversations,
    ListMessages,
    ListTurns,
    ReadFeed,
    Reopen,
    Reply,
    Resolve,
    RollBackConfig,
    ShowConfig,
    ShowConversation,
    StartOnboarding,
    SumDailyUsage,
    TakeOver,
    UsageByDay,
)
from bancone_agent.domain.conversation import (
    ConversationState,
    Trigger,
    assistant_may_answer,
    held_by_people,
)
from bancone_agent.domain.dead_letters import (
    ListDeadLetters,
    PoisonedForTestError,
    ReplayDeadLetter,
    ReplayDeadLetters,
    poisoned,
)
from bancone_agent.domain.escalation import (
    Escalation,
    EscalationReason,
    after_turn,
    before_turn,
    holding_message,
)
from bancone_agent.domain.events import turn_log
from bancone_agent.domain.ordering import OrderDesk
from bancone_agent.domain.pace import Pace
from bancone_agent.domain.recall import remember_turn
from bancone_agent.domain.revocations import answerable
from bancone_agent.domain.run import TurnOutcome, TurnRun
from bancone_agent.domain.turn import Draft, Plan, read_turn
from bancone_agent.metrics import assistant_name, observe_turn
from bancone_agent.onboarding_handlers import (
    answer_onboarding,
    confirm_onboarding,
    start_onboarding,
)
from bancone_agent.operator_handlers import (
    StateChange,
    add_note,
    assign,
    hand_back,
    list_conversations,
    list_messages,
    list_turns,
    read_feed,
    reopen,
    reply,
    resolve,
    show_conversation,
    sum_daily_usage,
    take_over,
    usage_by_day,
)
from bancone_agent.paced_turns import (
    INBOUND_CONSUMER,
    ReplanError,
    commit_paced,
    log_fields,
    pace_for,
)
from bancone_agent.satisfaction_handlers import record_answer, split_answers
from bancone_contracts.envelope import Envelope
from bancone_contracts.events.delivery import DeliveryUpdated
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.order import OrderChanged
from bancone_contracts.events.whatsapp_update import WhatsAppUpdateReceived
from bancone_kit.logging import get_logger
from bancone_kit.messaging.dead_letter import DeadLetterHandler
from bancone_kit.messaging.subscriptions import Subscription, declared

__all__ = ["AgentDeps", "Shop", "StateChange", "dev_config_box", "resolve", "take_over"]

log = get_logger(__name__)

MAX_REPLANS = 5
"""How often a turn is recomputed when its conversation changed under it before giving up
(the consumer then retries the whole turn with backoff)."""


# --- a turn: plan, draft, commit ------------------------------------------------------------


async def handle_inbound(event: InboundMessageReceived, deps: AgentDeps) -> None:
    """A single customer message as its own turn."""
    await handle_inbound_batch([event], deps)


async def handle_inbound_batch(events: Sequence[InboundMessageReceived], deps: AgentDeps) -> None:
    """Answer the customer messages queued for one conversation as one turn (per customer,
    should a batch ever mix them)."""
    answers, rest = split_answers(answerable(events))
    for answer in answers:  # a satisfaction rating: stored, the assistant does not answer it
        await record_answer(answer, deps)
    groups: dict[tuple[str, str], list[InboundMessageReceived]] = {}
    for event in rest:
        key = (event.tenant_id, event.data.customer.customer_id)
        groups.setdefault(key, []).append(event)
    for group in groups.values():
        await _handle_turn(group, deps)


async def _handle_turn(events: Sequence[InboundMessageReceived], deps: AgentDeps) -> None:
    for _ in range(MAX_REPLANS):
        async with deps.sessions() as session:
            plan = await conversations.read_plan(
                session, INBOUND_CONSUMER, events, deps.fallback_config, deps.config_box
            )
            pace = (
                await pace_for(session, plan, deps.clock(), new_conversation=plan.new_conversation)
                if plan is not None
                else None
            )
            replayed = await _replayed(session, plan)
        if plan is None:
            return
        _poison_check(plan, replayed, deps.poison_marker)
        for keyword in plan.consent_keywords:  # the notifier confirms it; no assistant reply
            log.info("inbound.consent_keyword_not_answered", **log_fields(keyword.event))
        answering = pace is None or pace is Pace.ANSWER
        # A replayed dead letter is recorded, never answered: it had the holding message.
        speaking = [i for i in plan.fresh if i.event.id not in replayed]
        draft = await _draft(plan, deps) if speaking and answering else Draft()
        try:
            if pace is None or pace is Pace.ANSWER:
                await _commit(plan, draft, deps, paced=pace is not None)
            else:
                await commit_paced(plan, pace, deps.sessions, deps.clock)
            return
        except (ReplanError, repository.PartialClaimError) as why:
            log.info("inbound.replanned", tenant_id=plan.tenant_id, reason=str(why))
    raise RuntimeError(f"turn still changing after {MAX_REPLANS} plans")


async def _replayed(session: AsyncSession, plan: Plan | None) -> set[uuid.UUID]:
    """The turn's new events that are dead letters being replayed."""
    if plan is None or not plan.fresh:
        return set()
    ids = [incoming.event.id for incoming in plan.fresh]
    return await dead_letters.dead_lettered_ids(session, plan.tenant_id, ids)


def _poison_check(plan: Plan, replayed: set[uuid.UUID], marker: str | None) -> None:
    for incoming in plan.fresh:
        if incoming.event.id not in replayed and poisoned(incoming.text, marker):
            raise PoisonedForTestError(f"dev poison marker in {incoming.event.data.message_id}")


async def _draft(plan: Plan, deps: AgentDeps) -> Draft:
    for incoming in plan.fresh:
        log.info(
            "inbound.turn_started",
            kind=incoming.kind.value,
            messages=len(plan.fresh),
            **log_fields(incoming.event),
        )
    speaking = plan.speaking
    if not speaking:
        return Draft()
    if held_by_people(plan.state):
        return Draft(muted=True)
    memory = plan.memory.current(
        deps.clock(),
        resolved=plan.state is ConversationState.RESOLVED,
        fresh_after=deps.memory_fresh_after,
    )
    read = read_turn(replace(plan, memory=memory))
    turn, language = read.turn, read.turn.language
    escalation = before_turn(read.said, plan.config.escalation)
    if escalation is not None:
        run = TurnRun(assistant="rules", outcome=TurnOutcome.ESCALATED)
        remembered = remember_turn(turn, None, deps.clock())
        return Draft(escalation=escalation, run=run, language=language, memory=remembered)
    name = assistant_name(deps.assistant)
    started = time.perf_counter()
    try:
        with observe_turn(name) as timing:
            reply = await _order_desk_reply(turn, deps)
            if reply is None:
                reply = await deps.assistant.respond(turn, deps.tools_for(plan.tenant_id))
            timing.reply = reply
    except Exception as error:
        # Failure never means silence: the customer gets the holding message, people the chat.
        log.exception("inbound.assistant_failed", tenant_id=plan.tenant_id)
        latency = _elapsed_ms(started)
        run = TurnRun(assistant=name, outcome=TurnOutcome.ESCALATED, error=_error_text(error))
        escalation = Escalation(EscalationReason.FAILURE, "system", type(error).__name__)
        return Draft(escalation=escalation, run=run, latency_ms=latency, language=language)
    latency = _elapsed_ms(started)
    if reply is None:
        return Draft(latency_ms=latency, language=language)
    run = reply.run or TurnRun(assistant=name)
    remembered = remember_turn(turn, reply, deps.clock())
    return Draft(
        reply=reply, run=run, latency_ms=latency, language=reply.language, memory=remembered
    )


async def _order_desk_reply(turn: Turn, deps: AgentDeps) -> AssistantReply | None:
    """The order desk's answer when the turn is about the cart or an order (taps on the
    confirmation buttons included: no assistant, and so no model, ever places an order)."""
    if deps.orders_for is None:
        return None
    return await OrderDesk(deps.clock).respond(turn, deps.orders_for(turn.tenant_id))


async def _commit(plan: Plan, draft: Draft, deps: AgentDeps, *, paced: bool = False) -> None:
    async with repository.claim_all(deps.sessions, INBOUND_CONSUMER, plan.event_ids) as tx:
        if tx is None:
            log.info(
                "inbound.duplicate_event", tenant_id=plan.tenant_id, events=len(plan.event_ids)
            )
            return
        if not plan.fresh:
            return
        now = deps.clock()
        last = plan.last
        await conversations.save_customer(tx, last, now, draft.language)
        conversation, created = await conversations.open_conversation(tx, plan, now)
        if paced and await pace_for(tx, plan, now, new_conversation=created) is not Pace.ANSWER:
            raise ReplanError("the customer went over the limit meanwhile")
        for incoming in plan.fresh:
            if not await conversations.record_inbound(tx, incoming, conversation, now):
                raise ReplanError(f"wamid {incoming.event.data.message_id} recorded meanwhile")
        if not draft.is_turn:
            log.info("inbound.recorded_without_reply", **log_fields(last))
            return
        state = ConversationState(conversation.state)
        if draft.muted and assistant_may_answer(state):
            raise ReplanError(f"conversation went back to the assistant ({state})")
        if held_by_people(state):
            _log_muted(plan, state, draft)
            entry = turn_log(plan, draft, conversation.id, TurnOutcome.MUTED, None, now)
            conversations.record_turn(tx, entry)
            return
        if state is ConversationState.RESOLVED:
            conversations.change_state(
                tx, conversation, Trigger.CUSTOMER_MESSAGE, actor="customer", now=now
            )
        escalation = draft.escalation
        if escalation is None and draft.reply is not None:
            escalation, conversation.failed_turns = after_turn(
                draft.reply, conversation.failed_turns, plan.config.escalation
            )
        language = draft.language or conversation.language or plan.config.default_language
        if escalation is not None:
            conversations.change_state(
                tx,
                conversation,
                Trigger.ESCALATE,
                actor=escalation.actor,
                reason=escalation.description,
                now=now,
            )
            text = holding_message(plan.config, language, now)
            outcome = TurnOutcome.ESCALATED
        else:
            assert draft.reply is not None, "a turn without escalation has a reply"
            text = draft.reply.text
            outcome = draft.run.outcome if draft.run is not None else TurnOutcome.ANSWERED
        buttons = draft.reply.buttons if escalation is None and draft.reply is not None else ()
        outbound = conversations.record_reply(
            tx, last, conversation, text, language, now, buttons=buttons
        )
        if draft.memory is not None:
            await conversations.save_memory(tx, plan.tenant_id, conversation.id, draft.memory, now)
        entry = turn_log(plan, draft, conversation.id, outcome, escalation, now)
        conversations.record_turn(tx, entry)
    log.info(
        "reply.staged",
        outbound_id=str(outbound.data.outbound_id),
        outcome=outcome.value,
        escalation=escalation.description if escalation else None,
        language=language,
        messages=len(plan.fresh),
        **log_fields(last),
    )


def _log_muted(plan: Plan, state: ConversationState, draft: Draft) -> None:
    log.info(
        "inbound.reply_muted",
        state=state.value,
        computed=not draft.muted,
        messages=len(plan.fresh),
        **log_fields(plan.last),
    )


def _elapsed_ms(started: float) -> int:
    return max(0, round((time.perf_counter() - started) * 1000))


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:500]


# --- registry -------------------------------------------------------------------------------

BatchHandler = Callable[[Sequence[Any], AgentDeps], Awaitable[None]]
CommandHandler = Callable[[Any, AgentDeps], Awaitable[Any]]

EVENT_HANDLERS: Final[dict[type[Envelope[Any]], BatchHandler]] = {
    InboundMessageReceived: handle_inbound_batch,
    DeliveryUpdated: delivery_handlers.handle_delivery_batch,
    WhatsAppUpdateReceived: update_handlers.handle_update_batch,
    OrderChanged: order_handlers.handle_order_batch,
}
"""Which handler reacts to which event; each takes the events a keyed consumer hands it
(consumers subscribe them in `entrypoints.consumers`)."""

COMMAND_HANDLERS: Final[dict[type[Any], CommandHandler]] = {
    TakeOver: take_over,
    Assign: assign,
    Reply: reply,
    AddNote: add_note,
    HandBack: hand_back,
    Resolve: resolve,
    Reopen: reopen,
    ListConversations: list_conversations,
    ShowConversation: show_conversation,
    ListMessages: list_messages,
    ListTurns: list_turns,
    ReadFeed: read_feed,
    ShowConfig: show_config,
    ListConfigVersions: list_config_versions,
    ChangeConfig: change_config,
    RollBackConfig: roll_back_config,
    DiffConfig: diff_config,
    StartOnboarding: start_onboarding,
    AnswerOnboarding: answer_onboarding,
    ConfirmOnboarding: confirm_onboarding,
    SumDailyUsage: sum_daily_usage,
    ListDeadLetters: dead_letter_handlers.list_dead_letters,
    ReplayDeadLetter: dead_letter_handlers.replay_dead_letter,
    ReplayDeadLetters: dead_letter_handlers.replay_dead_letters,
    update_handlers.ListNotices: update_handlers.list_notices,
    UsageByDay: usage_by_day,
}
"""Which handler carries out which operator command (the routes in `entrypoints.http`)."""

DEAD_LETTER_HANDLERS: Final[
    dict[type[Envelope[Any]], Callable[[Any, AgentDeps], Awaitable[None]]]
] = {
    InboundMessageReceived: dead_letter_handlers.handle_inbound_dead_letter,
}
"""Which handler takes the dead letters of which event (the `.dlq` subscriptions)."""


def bind_dead_letters(deps: AgentDeps) -> dict[type[Envelope[Any]], DeadLetterHandler]:
    """`DEAD_LETTER_HANDLERS` bound to the agent's dependencies, as `register` takes them."""

    def bound(handler: Callable[[Any, AgentDeps], Awaitable[None]]) -> DeadLetterHandler:
        async def handle(letter: Any) -> None:
            await handler(letter, deps)

        return handle

    return {event: bound(handler) for event, handler in DEAD_LETTER_HANDLERS.items()}


SUBSCRIPTIONS: Final[tuple[Subscription, ...]] = declared(
    "agent", fold={InboundMessageReceived, DeliveryUpdated}
)
"""Where each of those events is read from: the groups `bancone_contracts.subscriptions`
declares for the agent; a conversation's queued inbound messages are folded into one turn,
its queued delivery reports into one transaction."""
