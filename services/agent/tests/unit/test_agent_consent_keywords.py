"""The assistant stays silent on a consent keyword, read with the notifier's own matcher and
the tenant's list (`AgentConfig.consent_keywords`; the defaults when unset)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from bancone_agent.domain.config import AgentConfig
from bancone_agent.domain.conversation import ConversationState
from bancone_agent.domain.turn import Incoming, Plan
from bancone_contracts.events.inbound import (
    ButtonReplyContent,
    Customer,
    InboundContent,
    InboundMessage,
    InboundMessageReceived,
    MessageEdit,
    TextContent,
)

pytestmark = pytest.mark.unit


def message(content: InboundContent | str, *, edit: str | None = None) -> Incoming:
    event = InboundMessageReceived.new(
        tenant_id="enoteca",
        source="gateway",
        data=InboundMessage(
            message_id=f"wamid.{uuid.uuid4().hex}",
            phone_number_id="106540352242922",
            customer=Customer(wa_id="393331112222"),
            timestamp=datetime.now(UTC),
            content=TextContent(body=content) if isinstance(content, str) else content,
            edit=MessageEdit(original_message_id=edit) if edit else None,
        ),
    )
    return Incoming.of(event)


def plan(*fresh: Incoming, config: AgentConfig | None = None) -> Plan:
    return Plan(
        tenant_id="enoteca",
        customer_id="393331112222",
        fresh=fresh,
        repeats=(),
        conversation_id=uuid.uuid4(),
        state=ConversationState.BOT,
        language=None,
        failed_turns=0,
        config=config or AgentConfig(),
    )


@pytest.mark.parametrize("text", ["STOP", "basta messaggi", "Darme de baja", "ISCRIVIMI", "start"])
def test_a_default_keyword_is_not_spoken_to(text: str) -> None:
    keyword = message(text)
    turn = plan(keyword)
    assert turn.speaking == ()
    assert turn.consent_keywords == (keyword,)


@pytest.mark.parametrize("text", ["basta così, grazie", "non basta il vino", "stop al bus?"])
def test_a_keyword_inside_a_sentence_is_answered(text: str) -> None:
    said = message(text)
    assert plan(said).speaking == (said,)


def test_only_the_keyword_of_a_folded_turn_is_left_out() -> None:
    question, stop = message("Avete un rosso?"), message("STOP")
    turn = plan(question, stop)
    assert turn.speaking == (question,)
    assert turn.consent_keywords == (stop,)


def test_a_button_titled_stop_and_an_edit_to_stop_are_not_keywords() -> None:
    # The notifier reads new text messages only; so does the agent.
    button = message(ButtonReplyContent(id="b1", title="Stop"))
    edited = message("STOP", edit="wamid.earlier")
    assert plan(button, edited).consent_keywords == ()


def test_the_tenants_own_list_replaces_the_defaults() -> None:
    config = AgentConfig.model_validate(
        {"consent_keywords": [{"phrase": "fermati", "action": "opt_out", "language": "it"}]}
    )
    fermati, stop = message("Fermati!"), message("STOP")
    assert plan(fermati, stop, config=config).speaking == (stop,)
    nothing = AgentConfig.model_validate({"consent_keywords": []})
    assert plan(stop, config=nothing).speaking == (stop,)


def test_an_unusable_tenant_list_is_refused_like_the_notifier_refuses_it() -> None:
    with pytest.raises(ValidationError):
        AgentConfig.model_validate(
            {"consent_keywords": [{"phrase": "per favore", "action": "opt_out", "language": "it"}]}
        )
    with pytest.raises(ValidationError):
        AgentConfig.model_validate(
            {"consent_keywords": [{"phrase": "stop", "action": "opt_out", "language": "de"}]}
        )
