"""A customer turn's types: the messages it folds, what it starts from (the plan), what it
would say (the draft), and the turn as the assistant reads it — understood once.

A turn is every customer message of one conversation the consumer had queued when it picked
them up; its ids derive from its last event id, so a turn recomputed after a crash stages
the same reply and run-log row.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from bancone_agent.domain.assistant import SILENT_KINDS, ContentKind, Reply, Turn
from bancone_agent.domain.config import AgentConfig
from bancone_agent.domain.conversation import ConversationState
from bancone_agent.domain.escalation import CustomerSaid, Escalation
from bancone_agent.domain.memory import Memory
from bancone_agent.domain.run import TurnRun
from bancone_agent.domain.understanding import DEFAULT_READER
from bancone_contracts.consent_keywords import match_keyword
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

_OUTBOUND_IDS = uuid.UUID("3b0f5c8e-2d4a-5e61-9a7c-1f8e6d2b4c90")
_TURN_IDS = uuid.UUID("5f2d8b13-7c6e-5a49-b0d1-3e8f9a2c4b75")


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
    memory: Memory = field(default_factory=Memory)
    """The conversation's memory as stored (the handler decides whether it is still current)."""
    new_conversation: bool = False
    """No conversation was stored for the customer when planned (`conversation_id` is the one
    the turn will create): there is nothing of it to read yet."""

    @property
    def event_ids(self) -> list[uuid.UUID]:
        return [i.event.id for i in self.fresh] + [e.id for e in self.repeats]

    @property
    def speaking(self) -> tuple[Incoming, ...]:
        """The messages an answer is owed to: not reactions, not consent keywords."""
        return tuple(i for i in self.fresh if i.speaks and not self.is_consent_keyword(i))

    def is_consent_keyword(self, incoming: Incoming) -> bool:
        """A whole-message opt-out or opt-in ("STOP", "BASTA", "ISCRIVIMI") in the tenant's
        list: the notifier records it and confirms it; the assistant stays silent (the message
        is still stored). Read as the notifier reads it: new text messages only."""
        event = incoming.event
        content = event.data.content
        if event.data.kind != "message" or not isinstance(content, TextContent):
            return False
        return match_keyword(content.body, self.config.consent_keyword_list()) is not None

    @property
    def consent_keywords(self) -> tuple[Incoming, ...]:
        return tuple(i for i in self.fresh if self.is_consent_keyword(i))

    @property
    def last(self) -> InboundMessageReceived:
        """The event the reply answers: the turn's last message."""
        return self.fresh[-1].event

    @property
    def wamids(self) -> list[str]:
        return [i.event.data.message_id for i in self.fresh]


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
    memory: Memory | None = None
    """The conversation's memory once this turn is answered; None: unchanged."""

    @property
    def is_turn(self) -> bool:
        """Whether this is a turn for the run log (muted turns are; reactions aren't)."""
        return self.muted or self.reply is not None or self.escalation is not None


@dataclass(frozen=True)
class ReadTurn:
    """A turn's speaking messages, each read once, and the turn they make."""

    said: tuple[CustomerSaid, ...]
    """Each message as the escalation rules see it (its text understood)."""
    turn: Turn


def read_turn(plan: Plan) -> ReadTurn:
    """Understand the customer's messages once each and fold them into one `Turn`, with the
    customer's language decided once; a one-message turn reuses its message's reading."""
    speaking = plan.speaking
    said = tuple(
        CustomerSaid(i.text, i.button_id, DEFAULT_READER.read(i.text.strip()) if i.text else None)
        for i in speaking
    )
    texts = [i.text for i in speaking if i.text]
    joined = "\n".join(texts) or None
    kinds = {i.kind for i in speaking}
    read = [s.understanding for s in said if s.understanding is not None]
    config = plan.config
    last = speaking[-1]
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
        understanding=read[0] if len(texts) == 1 else None,
        memory=plan.memory,
        customer_id=plan.customer_id,
        phone_number_id=last.event.data.phone_number_id,
        message_id=last.event.data.message_id,
        button_id=last.button_id,
        order_items=_order_items(last.event.data.content),
    )
    return ReadTurn(said, turn)


def _order_items(content: InboundContent) -> tuple[tuple[str, int], ...]:
    """A WhatsApp `order` message's (SKU, quantity) pairs; empty for any other message."""
    if not isinstance(content, OrderContent):
        return ()
    return tuple((item.product_retailer_id, item.quantity) for item in content.items)
