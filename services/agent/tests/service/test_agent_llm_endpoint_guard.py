"""A tenant's LLM endpoint is checked again when called: a base URL that reaches a non-public
address (here the scripted LLM on loopback, not allowed) never gets the request, and the
customer still gets the offline answer. A host the platform allows is called as usual."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bancone_agent.adapters.llm_assistant import LlmAssistant
from bancone_agent.adapters.llm_client import LlmOptions
from bancone_agent.domain import Turn
from bancone_agent.domain.config import AgentConfig, LlmOverride
from bancone_agent.domain.run import TurnOutcome
from bancone_scripted_llm import ScriptedLlm, running_scripted_llm
from services.agent.tests.support.memory_shop import demo_shop

pytestmark = pytest.mark.service


@pytest.fixture(scope="module")
def llm() -> Iterator[ScriptedLlm]:
    with running_scripted_llm() as server:
        yield server


def _turn(base_url: str) -> Turn:
    config = AgentConfig(
        shop_name="Enoteca Bancone",
        llm=LlmOverride(base_url=base_url, api_key="sk-tenant-own", model="scripted"),
    )
    return Turn(
        tenant_id="demo",
        conversation_id="c-guard",
        text="ciao, avete vino rosso?",
        shop_name="Enoteca Bancone",
        config=config,
    )


async def test_a_tenant_endpoint_on_a_non_public_address_is_never_called(
    llm: ScriptedLlm,
) -> None:
    llm.load({"rules": [{"role": "user", "match": "", "reply": {"content": "dal modello"}}]})
    llm.forget_requests()
    assistant = LlmAssistant(LlmOptions(max_retries=0))

    reply = await assistant.respond(_turn(llm.base_url), demo_shop())

    assert llm.requests() == []
    assert reply is not None
    assert reply.text != "dal modello"
    assert reply.run is not None
    assert reply.run.outcome in (TurnOutcome.FALLBACK, TurnOutcome.ESCALATED)
    assert "UnsafeUrlError" in (reply.run.error or "")
    await assistant.aclose()


async def test_a_host_the_platform_allows_is_called(llm: ScriptedLlm) -> None:
    llm.load(
        {
            "rules": [
                {"role": "user", "match": "", "reply": {"content": "dal modello"}},
            ]
        }
    )
    llm.forget_requests()
    allowed = frozenset({"127.0.0.1"})
    assistant = LlmAssistant(LlmOptions(max_retries=0, allowed_hosts=allowed))

    reply = await assistant.respond(_turn(llm.base_url), demo_shop())

    assert reply is not None
    assert reply.text == "dal modello"
    [request] = llm.requests()
    assert request["authorization"] == "Bearer sk-tenant-own"
    await assistant.aclose()
