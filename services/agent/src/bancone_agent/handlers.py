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

Ids are derived from the turn's last event id (uuid5), so a turn recomputed after a crash
stages the same outbound message and the notifier sends it once; a redelivered event finds
its inbox row and does nothing; a wamid already recorded under another event id is claimed
but neither recorded again nor answered.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bancone_agent.adapters import repository
from bancone_agent.adapters.config_store import get_active_config
from bancone_agent.adapters.tables import (
    AgentTurnRecord,
    ConversationRecord,
    CustomerRecord,
    Direction,
    MessageRecord,
)
from bancone_agent.domain import SILENT_KINDS, Assistant, ContentKind, Reply, ShopTools, Turn
from bancone_agent.domain.config import AgentConfig
from bancone_agent.domain.conversation import (
    ConversationState,
    Trigger,
    assistant_may_answer,
    held_by_people,
    move,
)
from bancone_agent.domain.escalation import (
    CustomerSaid,
    Escalation,
    EscalationReason,
    after_turn,
    before_turn,
    holding_message,
)
from bancone_agent.domain.language import choose_language
from bancone_agent.domain.run import TurnOutcome, TurnRun
from bancone_agent.metrics import assistant_name, observe_turn
from bancone_contracts.common import utc_now
from bancone_contracts.envelope import Envelope
from bancone_contracts.events.agent_turn import (
    AgentGuardFinding,
    AgentToolCall,
    AgentTurn,
    AgentTurnCompleted,
)
from bancone_contracts.events.conversation import (
    ConversationChange,
    ConversationChanged,
    ConversationTransition,
)
from bancone_contracts.events.delivery import DeliveryResult, DeliveryUpdated
from bancone_contracts.events.inbound import (
    ButtonReplyContent,
    InboundContent,
    InboundMessageReceived,
    ListReplyContent,
    MediaContent,
    OrderContent,
    TemplateButtonContent,
    TextContent,
)
from bancone_contracts.events.outbound import (
    TEXT_BODY_MAX,
    OutboundMessage,
    OutboundMessageRequested,
    OutboundText,
)
from bancone_kit.logging import get_logger
from bancone_kit.messaging import inbox
from bancone_kit.messaging.outbox import stage

log = get_logger(__name__)

SOURCE = "agent"
INBOUND_CONSUMER = "agent"
DELIVERY_CONSUMER = "agent-delivery"
MAX_REPLANS = 5
"""How often a turn is recomputed when its conversation changed under it before giving up
(the consumer then retries the whole turn with backoff)."""

_OUTBOUND_IDS = uuid.UUID("3b0f5c8e-2d4a-5e61-9a7c-1f8e6d2b4c90")
_OUTBOUND_EVENT_IDS = uuid.UUID("9c4e2a71-6b3d-5f08-8e1a-7d5c3b9f2e64")
_TURN_IDS = uuid.UUID("5f2d8b13-7c6e-5a49-b0d1-3e8f9a2c4b75")
_TURN_EVENT_IDS = uuid.UUID("a1c7e3f9-2b5d-5e80-9f4a-6d1b8c3e7f02")


@dataclass(frozen=True)
class Shop:
    """What the assistant says about the shop it speaks for, until the tenant stores an
    agent configuration (then the configuration says it)."""

    name: str
    language: str = "it"


@dataclass(frozen=True)
class AgentDeps:
    sessions: async_sessionmaker[AsyncSession]
    """From `bootstrap.sessions_of`: objects stay usable after commit."""
    assistant: Assistant
    tools_for: Callable[[str], ShopTools]
    """The shop's tools bound to one tenant; the tenant comes from the event, never a model."""
    shop_for: Callable[[str], Shop]
    clock: Callable[[], datetime] = field(default=utc_now)

    def fallback_config(self, tenant_id: str) -> AgentConfig:
        """The configuration of a tenant that stored none (version 0)."""
        shop = self.shop_for(tenant_id)
        return AgentConfig(shop_name=shop.name, default_language=shop.language)


def outbound_id_for(inbound_event_id: uuid.UUID) -> uuid.UUID:
    """The id of the reply to an inbound event (the last of its turn): the same however often
    it is recomputed."""
    return uuid.uuid5(_OUTBOUND_IDS, str(inbound_event_id))


def turn_id_for(inbound_event_id: uuid.UUID) -> uuid.UUID:
    """The run-log id of the turn whose last event is `inbound_event_id`."""
    return uuid.uuid5(_TURN_IDS, str(inbound_event_id))


def read_content(content: InboundContent) -> tuple[str | None, ContentKind]:
    """The text an assistant can read in a message (text, caption, button or row title,
    order note) and what kind of message it is."""
    kind = ContentKind.from_inbound(
        content.kind, content.media_type if isinstance(content, MediaContent) else None
    )
    text: str | None = None
    if isinstance(content, TextContent):
        text = content.body
    elif isinstance(content, MediaContent):
        text = content.caption
    elif isinstance(content, ButtonReplyContent | ListReplyContent):
        text = content.title
    elif isinstance(content, TemplateButtonContent | OrderContent):
        text = content.text
    return (text if text and text.strip() else None), kind


def button_id_of(content: InboundContent) -> str | None:
    """The id of the reply button or list row tapped (a template button's payload)."""
    if isinstance(content, ButtonReplyContent | ListReplyContent):
        return content.id
    if isinstance(content, TemplateButtonContent):
        return content.payload
    return None


# --- a turn: plan, draft, commit ------------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    """One customer message of a turn, as read from its event."""

    event: InboundMessageReceived
    text: str | None
    kind: ContentKind
    button_id: str | None

    @classmethod
    def of(cls, event: InboundMessageReceived) -> Incoming:
        text, kind = read_content(event.data.content)
        return cls(event, text, kind, button_id_of(event.data.content))

    @property
    def speaks(self) -> bool:
        """Whether the message is one an answer could be owed to (not a reaction)."""
        return self.kind not in SILENT_KINDS


@dataclass(frozen=True)
class Plan:
    """What the turn starts from, read without locks (re-checked under the lock)."""

    tenant_id: str
    customer_id: str
    fresh: tuple[Incoming, ...]
    """New messages of the turn, in order."""
    repeats: tuple[InboundMessageReceived, ...]
    """New events whose wamid is already recorded (claimed, never answered twice)."""
    conversation_id: uuid.UUID
    state: ConversationState
    """The conversation's state when planned (`bot` for a new one)."""
    language: str | None
    failed_turns: int
    config: AgentConfig

    @property
    def event_ids(self) -> list[uuid.UUID]:
        return [i.event.id for i in self.fresh] + [e.id for e in self.repeats]

    @property
    def speaking(self) -> tuple[Incoming, ...]:
        return tuple(i for i in self.fresh if i.speaks)

    @property
    def last(self) -> InboundMessageReceived:
        """The event the reply answers: the turn's last message."""
        return self.fresh[-1].event


@dataclass(frozen=True)
class Draft:
    """What the turn would say, computed with no transaction open."""

    muted: bool = False
    """People held the conversation when planned: no assistant was asked."""
    reply: Reply | None = None
    escalation: Escalation | None = None
    """Triggered by the messages themselves (or an assistant failure), before any reply."""
    run: TurnRun | None = None
    latency_ms: int = 0
    language: str | None = None

    @property
    def is_turn(self) -> bool:
        """Whether this is a turn for the run log (muted turns are; reactions aren't)."""
        return self.muted or self.reply is not None or self.escalation is not None


class _ReplanError(Exception):
    """The conversation or the inbox changed between plan and commit: compute again."""


async def handle_inbound(event: InboundMessageReceived, deps: AgentDeps) -> None:
    """A single customer message as its own turn."""
    await handle_inbound_batch([event], deps)


async def handle_inbound_batch(events: Sequence[InboundMessageReceived], deps: AgentDeps) -> None:
    """Answer the customer messages queued for one conversation as one turn (per customer,
    should a batch ever mix them)."""
    groups: dict[tuple[str, str], list[InboundMessageReceived]] = {}
    for event in events:
        key = (event.tenant_id, event.data.customer.customer_id)
        groups.setdefault(key, []).append(event)
    for group in groups.values():
        await _handle_turn(group, deps)


async def _handle_turn(events: Sequence[InboundMessageReceived], deps: AgentDeps) -> None:
    for _ in range(MAX_REPLANS):
        plan = await _plan(events, deps)
        if plan is None:
            return
        draft = await _draft(plan, deps) if plan.fresh else Draft()
        try:
            await _commit(plan, draft, deps)
            return
        except (_ReplanError, repository.PartialClaimError) as why:
            log.info("inbound.replanned", tenant_id=plan.tenant_id, reason=str(why))
    raise RuntimeError(f"turn still changing after {MAX_REPLANS} plans")


async def _plan(events: Sequence[InboundMessageReceived], deps: AgentDeps) -> Plan | None:
    unique = list({e.id: e for e in events}.values())
    tenant_id = unique[0].tenant_id
    customer_id = unique[0].data.customer.customer_id
    async with deps.sessions() as session:
        done = await repository.processed_event_ids(
            session, INBOUND_CONSUMER, [e.id for e in unique]
        )
        new = [e for e in unique if e.id not in done]
        for event in unique:
            if event.id in done:
                log.info("inbound.duplicate_event", **_fields(event))
        if not new:
            return None
        recorded = await repository.recorded_wamids(
            session, tenant_id, [e.data.message_id for e in new]
        )
        fresh: list[Incoming] = []
        repeats: list[InboundMessageReceived] = []
        seen: set[str] = set(recorded)
        for event in new:
            if event.data.message_id in seen:
                repeats.append(event)
                log.info("inbound.duplicate_wamid", **_fields(event))
            else:
                seen.add(event.data.message_id)
                fresh.append(Incoming.of(event))
        known = await repository.find_conversation(session, tenant_id, customer_id)
        config = await get_active_config(
            session, tenant_id, fallback=deps.fallback_config(tenant_id)
        )
    return Plan(
        tenant_id=tenant_id,
        customer_id=customer_id,
        fresh=tuple(fresh),
        repeats=tuple(repeats),
        conversation_id=known.id if known is not None else uuid.uuid4(),
        state=ConversationState(known.state) if known is not None else ConversationState.BOT,
        language=known.language if known is not None else None,
        failed_turns=known.failed_turns if known is not None else 0,
        config=config,
    )


async def _draft(plan: Plan, deps: AgentDeps) -> Draft:
    for incoming in plan.fresh:
        log.info(
            "inbound.turn_started",
            kind=incoming.kind.value,
            messages=len(plan.fresh),
            **_fields(incoming.event),
        )
    speaking = plan.speaking
    if not speaking:
        return Draft()
    if held_by_people(plan.state):
        return Draft(muted=True)
    texts = [i.text for i in speaking if i.text]
    joined = "\n".join(texts) or None
    config = plan.config
    language = choose_language(joined, plan.language, config.default_language)
    said = [CustomerSaid(i.text, i.button_id) for i in speaking]
    escalation = before_turn(said, config.escalation)
    if escalation is not None:
        run = TurnRun(assistant="rules", outcome=TurnOutcome.ESCALATED)
        return Draft(escalation=escalation, run=run, language=language)
    kinds = {i.kind for i in speaking}
    turn = Turn(
        tenant_id=plan.tenant_id,
        conversation_id=str(plan.conversation_id),
        text=joined,
        kind=ContentKind.TEXT if len(kinds) > 1 and texts else speaking[-1].kind,
        previous_language=plan.language,
        shop_name=config.shop_name,
        default_language=config.default_language,
        config=config,
        history=tuple(texts[:-1]),
    )
    name = assistant_name(deps.assistant)
    started = time.perf_counter()
    try:
        with observe_turn(name) as timing:
            reply = timing.reply = await deps.assistant.respond(
                turn, deps.tools_for(plan.tenant_id)
            )
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
    return Draft(reply=reply, run=run, latency_ms=latency, language=reply.language)


async def _commit(plan: Plan, draft: Draft, deps: AgentDeps) -> None:
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
        await _save_customer(tx, last, now, draft.language)
        conversation, opened = await _open_conversation(tx, plan, now)
        if opened:
            opened_event = conversation_event(
                conversation, "opened", actor="customer", reason=None, operator_id=None, now=now
            )
            stage(tx, opened_event)
        for incoming in plan.fresh:
            if not await _record_inbound(tx, incoming, conversation, now):
                raise _ReplanError(f"wamid {incoming.event.data.message_id} recorded meanwhile")
        if not draft.is_turn:
            log.info("inbound.recorded_without_reply", **_fields(last))
            return
        state = ConversationState(conversation.state)
        if draft.muted and assistant_may_answer(state):
            raise _ReplanError(f"conversation went back to the assistant ({state})")
        if held_by_people(state):
            _log_muted(plan, state, draft)
            await _record_turn(tx, plan, conversation, draft, TurnOutcome.MUTED, None, now)
            return
        if state is ConversationState.RESOLVED:
            change_state(tx, conversation, Trigger.CUSTOMER_MESSAGE, actor="customer", now=now)
        escalation = draft.escalation
        if escalation is None and draft.reply is not None:
            escalation, conversation.failed_turns = after_turn(
                draft.reply, conversation.failed_turns, plan.config.escalation
            )
        language = draft.language or conversation.language or plan.config.default_language
        if escalation is not None:
            change_state(
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
        outbound = _reply_event(last, conversation, text)
        stage(tx, outbound)
        tx.add(_outbound_record(last, conversation, outbound, language, now))
        conversation.language = language
        conversation.updated_at = now
        await _record_turn(tx, plan, conversation, draft, outcome, escalation, now)
    log.info(
        "reply.staged",
        outbound_id=str(outbound.data.outbound_id),
        outcome=outcome.value,
        escalation=escalation.description if escalation else None,
        language=language,
        messages=len(plan.fresh),
        **_fields(last),
    )


def _log_muted(plan: Plan, state: ConversationState, draft: Draft) -> None:
    log.info(
        "inbound.reply_muted",
        state=state.value,
        computed=not draft.muted,
        messages=len(plan.fresh),
        **_fields(plan.last),
    )


async def _save_customer(
    tx: AsyncSession, event: InboundMessageReceived, now: datetime, language: str | None
) -> CustomerRecord:
    who = event.data.customer
    new = CustomerRecord(
        tenant_id=event.tenant_id,
        customer_id=who.customer_id,
        wa_id=who.wa_id,
        user_id=who.user_id,
        profile_name=who.profile_name,
        language=language,
        created_at=now,
        updated_at=now,
    )
    await repository.insert_ignoring_conflict(tx, CustomerRecord, repository.row_values(new))
    customer = await repository.get_customer(tx, event.tenant_id, who.customer_id)
    assert customer is not None, "just inserted or already there"
    changes = {
        "wa_id": who.wa_id or customer.wa_id,
        "user_id": who.user_id or customer.user_id,
        "profile_name": who.profile_name or customer.profile_name,
        "language": language or customer.language,
    }
    if any(getattr(customer, name) != value for name, value in changes.items()):
        for name, value in changes.items():
            setattr(customer, name, value)
        customer.updated_at = now
    return customer


async def _open_conversation(
    tx: AsyncSession, plan: Plan, now: datetime
) -> tuple[ConversationRecord, bool]:
    """The customer's conversation, created on their first message and locked until commit
    (its state read fresh under the lock); True when this call created it."""
    last = plan.last.data
    new = ConversationRecord(
        tenant_id=plan.tenant_id,
        id=plan.conversation_id,
        customer_id=plan.customer_id,
        phone_number_id=last.phone_number_id,
        opened_at=now,
        updated_at=now,
        state_changed_at=now,
        last_inbound_at=last.timestamp,
    )
    created = await repository.insert_ignoring_conflict(
        tx, ConversationRecord, repository.row_values(new)
    )
    conversation = await repository.find_conversation(
        tx, plan.tenant_id, plan.customer_id, for_update=True
    )
    assert conversation is not None, "just inserted or already there"
    conversation.phone_number_id = last.phone_number_id
    newest = max(i.event.data.timestamp for i in plan.fresh)
    if conversation.last_inbound_at is None or conversation.last_inbound_at < newest:
        conversation.last_inbound_at = newest
    conversation.updated_at = now
    return conversation, created


async def _record_inbound(
    tx: AsyncSession, incoming: Incoming, conversation: ConversationRecord, now: datetime
) -> bool:
    """Store the message; False when its wamid is already stored (same message, new event)."""
    event = incoming.event
    record = MessageRecord(
        tenant_id=event.tenant_id,
        conversation_id=conversation.id,
        direction=Direction.IN.value,
        sender="customer",
        kind=incoming.kind.value,
        text=incoming.text,
        wamid=event.data.message_id,
        event_id=event.id,
        occurred_at=event.data.timestamp,
        created_at=now,
    )
    return await repository.insert_ignoring_conflict(
        tx, MessageRecord, repository.row_values(record)
    )


Actor = Literal["ai", "operator", "customer", "system"]


def conversation_event(
    conversation: ConversationRecord,
    transition: ConversationTransition,
    *,
    actor: Actor,
    reason: str | None,
    operator_id: str | None,
    now: datetime,
) -> ConversationChanged:
    return ConversationChanged.new(
        tenant_id=conversation.tenant_id,
        source=SOURCE,
        data=ConversationChange(
            conversation_id=str(conversation.id),
            customer_id=conversation.customer_id,
            transition=transition,
            reason=reason,
            actor=actor,
            operator_id=operator_id,
            occurred_at=now,
        ),
    )


def change_state(
    tx: AsyncSession,
    conversation: ConversationRecord,
    trigger: Trigger,
    *,
    actor: Actor,
    reason: str | None = None,
    operator_id: str | None = None,
    now: datetime,
) -> bool:
    """Move a conversation LOCKED in `tx` and stage the event announcing the move (the state
    machine says which moves have one); True when the state changed."""
    step = move(conversation.state, trigger)
    if step.transition is None:
        return False
    conversation.state = step.state.value
    conversation.state_changed_at = now
    conversation.updated_at = now
    if step.state is ConversationState.WAITING_FOR_HUMAN:
        conversation.escalation_reason = reason
    elif step.state is ConversationState.BOT:
        conversation.escalation_reason = None
    if operator_id is not None:
        conversation.operator_id = operator_id
    conversation.failed_turns = 0
    event = conversation_event(
        conversation, step.transition, actor=actor, reason=reason, operator_id=operator_id, now=now
    )
    stage(tx, event)
    log.info(
        "conversation.changed",
        tenant_id=conversation.tenant_id,
        conversation_id=str(conversation.id),
        transition=step.transition,
        state=step.state.value,
        reason=reason,
        actor=actor,
    )
    return True


def _reply_event(
    event: InboundMessageReceived, conversation: ConversationRecord, text: str
) -> OutboundMessageRequested:
    message = event.data
    who = message.customer
    body = text.strip()
    if len(body) > TEXT_BODY_MAX:
        body = body[: TEXT_BODY_MAX - 1] + "…"
    return OutboundMessageRequested.new(
        tenant_id=event.tenant_id,
        source=SOURCE,
        id=uuid.uuid5(_OUTBOUND_EVENT_IDS, str(event.id)),
        data=OutboundMessage(
            outbound_id=outbound_id_for(event.id),
            customer_id=who.customer_id,
            to=who.wa_id,
            to_user_id=None if who.wa_id else who.user_id,
            phone_number_id=message.phone_number_id,
            conversation_id=str(conversation.id),
            reply_to=message.message_id,
            sender="ai",
            content=OutboundText(body=body),
        ),
    )


def _outbound_record(
    event: InboundMessageReceived,
    conversation: ConversationRecord,
    outbound: OutboundMessageRequested,
    language: str,
    now: datetime,
) -> MessageRecord:
    content = outbound.data.content
    return MessageRecord(
        tenant_id=event.tenant_id,
        conversation_id=conversation.id,
        direction=Direction.OUT.value,
        sender="ai",
        kind=content.kind,
        text=content.body if isinstance(content, OutboundText) else None,
        language=language,
        outbound_id=outbound.data.outbound_id,
        event_id=event.id,
        reply_to=outbound.data.reply_to,
        delivery_status="requested",
        created_at=now,
    )


async def _record_turn(
    tx: AsyncSession,
    plan: Plan,
    conversation: ConversationRecord,
    draft: Draft,
    outcome: TurnOutcome,
    escalation: Escalation | None,
    now: datetime,
) -> None:
    """The run-log row of the turn and its `agent.turn.completed` event, in the same
    transaction as the reply (or the silence) they describe."""
    run = draft.run if not draft.muted and draft.run is not None else TurnRun(assistant="none")
    if outcome is TurnOutcome.MUTED:
        run = run.model_copy(update={"outcome": outcome})
    last_id = plan.last.id
    tool_calls = [call.model_dump(mode="json") for call in run.tool_calls]
    findings = [finding.model_dump(mode="json") for finding in run.guard_findings]
    wamids = [i.event.data.message_id for i in plan.fresh]
    reason = escalation.description if escalation is not None else None
    record = AgentTurnRecord(
        tenant_id=plan.tenant_id,
        id=turn_id_for(last_id),
        conversation_id=conversation.id,
        config_version=plan.config.version,
        assistant=run.assistant[:16],
        model=run.model,
        prompt_tokens=run.prompt_tokens,
        completion_tokens=run.completion_tokens,
        estimated_cost=run.estimated_cost,
        latency_ms=draft.latency_ms,
        tool_calls=tool_calls,
        guard_findings=findings,
        outcome=outcome.value,
        escalation_reason=reason[:200] if reason else None,
        error=run.error[:500] if run.error else None,
        message_ids=wamids,
        created_at=now,
    )
    tx.add(record)
    stage(
        tx,
        AgentTurnCompleted.new(
            tenant_id=plan.tenant_id,
            source=SOURCE,
            id=uuid.uuid5(_TURN_EVENT_IDS, str(last_id)),
            data=AgentTurn(
                turn_id=record.id,
                conversation_id=str(conversation.id),
                customer_id=plan.customer_id,
                message_ids=tuple(wamids),
                config_version=record.config_version,
                assistant=record.assistant,
                model=record.model,
                prompt_tokens=record.prompt_tokens,
                completion_tokens=record.completion_tokens,
                estimated_cost=Decimal(record.estimated_cost),
                latency_ms=record.latency_ms,
                tool_calls=tuple(AgentToolCall.model_validate(c) for c in tool_calls),
                guard_findings=tuple(AgentGuardFinding.model_validate(f) for f in findings),
                outcome=outcome.value,
                escalation_reason=record.escalation_reason,
                error=record.error,
                occurred_at=now,
            ),
        ),
    )


def _fields(event: InboundMessageReceived) -> dict[str, str]:
    return {"tenant_id": event.tenant_id, "event_id": str(event.id), "wamid": event.data.message_id}


def _elapsed_ms(started: float) -> int:
    return max(0, round((time.perf_counter() - started) * 1000))


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:500]


# --- delivery -------------------------------------------------------------------------------

_PROGRESS: Final = {"requested": 0, "accepted": 1, "sent": 2, "delivered": 3, "read": 4}


def advances(current: str | None, new: str) -> bool:
    """Whether a delivery status moves a message forward: never back from read to sent, and
    a failure counts only before the message was delivered."""
    if current == new:
        return False
    if new == "failed":
        return current not in ("delivered", "read")
    if current == "failed":
        return False
    return _PROGRESS.get(new, -1) > _PROGRESS.get(current or "requested", 0)


async def handle_delivery(event: DeliveryUpdated, deps: AgentDeps) -> None:
    """Note on our outbound message what the notifier reports about it."""
    result: DeliveryResult = event.data
    fields = {"tenant_id": event.tenant_id, "outbound_id": str(result.outbound_id)}
    async with inbox.claim(deps.sessions, DELIVERY_CONSUMER, event.id) as tx:
        if tx is None:
            return
        row = await repository.find_outbound(tx, event.tenant_id, result.outbound_id)
        if row is None:
            log.info("delivery.not_ours", status=result.status, **fields)
            return
        if result.wamid and not row.wamid:
            row.wamid = result.wamid
        if advances(row.delivery_status, result.status):
            row.delivery_status = result.status
            row.delivery_updated_at = result.occurred_at or event.time
            if result.status == "failed":
                row.delivery_error = " ".join(
                    part for part in (str(result.error_code or ""), result.error_title) if part
                )[:500]
    log.info("delivery.recorded", status=result.status, **fields)


async def handle_delivery_batch(events: Sequence[DeliveryUpdated], deps: AgentDeps) -> None:
    for event in events:
        await handle_delivery(event, deps)


# --- registry -------------------------------------------------------------------------------

BatchHandler = Callable[[Sequence[Any], AgentDeps], Awaitable[None]]

EVENT_HANDLERS: Final[dict[type[Envelope[Any]], BatchHandler]] = {
    InboundMessageReceived: handle_inbound_batch,
    DeliveryUpdated: handle_delivery_batch,
}
"""Which handler reacts to which event; each takes the events a keyed consumer hands it
(consumers subscribe them in `entrypoints`)."""
