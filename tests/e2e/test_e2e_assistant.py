"""The assistant's hand-off end to end: a customer asks for a person, gets the shop's holding
message, and the assistant stays silent until an operator resolves the conversation; and a
budget question through the LLM path (the scripted OpenAI-compatible server) gets the
catalogue's prices.

The demo shop's agent configuration is imported with `bancone-agent config import`, as
`make run` does. The LLM test points only the demo tenant at the scripted server (the
tenant's `llm.base_url`), then imports the plain demo configuration again.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bancone_scripted_llm import (
    Failure,
    ReplySpec,
    Rule,
    Script,
    ToolCallSpec,
    running_scripted_llm,
)

if TYPE_CHECKING:
    from conftest import Platform

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
DEMO_AGENT_CONFIG = REPO / "deploy" / "local" / "demo" / "agent-config.json"


def import_agent_config(platform: Platform, path: Path, tenant_id: str = "demo") -> str:
    """`bancone-agent config import` with the running agent's settings; returns its output."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bancone_agent",
            "config",
            "import",
            "--tenant",
            tenant_id,
            str(path),
        ],
        env=platform.processes["agent"].env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def agent_get(platform: Platform, path: str, **params: Any) -> Any:
    response = await platform.http.get(
        f"{platform.url('agent')}/v1/tenants/demo{path}", params=params, headers=platform.admin()
    )
    response.raise_for_status()
    return response.json()


async def conversation_of(platform: Platform, customer: str, state: str) -> dict[str, Any]:
    """The demo conversation of `customer` once it is in `state` (a minute at most)."""
    deadline = time.monotonic() + 60
    while True:
        for found in (await agent_get(platform, "/conversations", state=state))["items"]:
            if found["customer_id"] == customer:
                detail: dict[str, Any] = await agent_get(platform, f"/conversations/{found['id']}")
                return detail
        assert time.monotonic() < deadline, f"no {state} conversation for {customer}"
        await asyncio.sleep(0.2)


async def turns_logged(
    platform: Platform, conversation_id: str, count: int
) -> list[dict[str, Any]]:
    """The conversation's run log once it has `count` turns (a minute at most)."""
    deadline = time.monotonic() + 60
    while True:
        logged = await agent_get(platform, f"/conversations/{conversation_id}/turns")
        turns: list[dict[str, Any]] = logged["items"]
        if len(turns) >= count:
            return turns
        assert time.monotonic() < deadline, f"only {len(turns)} turns logged"
        await asyncio.sleep(0.2)


async def test_asking_for_a_person_gets_the_holding_message_and_then_silence_until_resolved(
    platform: Platform, customer: str
) -> None:
    import_agent_config(platform, DEMO_AGENT_CONFIG)
    holding = json.loads(DEMO_AGENT_CONFIG.read_text(encoding="utf-8"))["holding_message"]["it"]
    demo = platform.tenants["demo"]
    operator = f"{platform.url('agent')}/v1/tenants/demo/conversations"

    _, response = await platform.say(demo, customer, "Buongiorno, voglio parlare con una persona")
    assert response.status_code == 200
    [reply] = await platform.replies(customer)
    assert reply.startswith(holding), reply

    waiting = await conversation_of(platform, customer, "waiting_for_human")
    assert waiting["escalation_reason"] == "customer_request"
    _, response = await platform.say(demo, customer, "Avete un Barolo?")
    assert response.status_code == 200
    turns = await turns_logged(platform, waiting["id"], 2)
    assert [t["outcome"] for t in turns] == ["escalated", "muted"]
    assert await platform.settle(customer, seconds=3) == [reply], "no reply while waiting"

    taken = await platform.http.post(
        f"{operator}/{waiting['id']}/takeover", headers=platform.admin()
    )
    assert taken.json()["state"] == "human"
    _, response = await platform.say(demo, customer, "Ci siete?")
    assert [t["outcome"] for t in await turns_logged(platform, waiting["id"], 3)][-1] == "muted"
    resolved = await platform.http.post(
        f"{operator}/{waiting['id']}/resolve", headers=platform.admin()
    )
    assert resolved.json()["state"] == "resolved"

    _, response = await platform.say(demo, customer, "Avete un Barolo?")
    replies = await platform.replies(customer, count=2)
    assert len(replies) == 2
    assert "Barolo" in replies[1], replies[1]
    assert (await conversation_of(platform, customer, "bot"))["state"] == "bot"


BUDGET_SCRIPT = Script(
    rules=[
        Rule(
            role="user",
            match=r"sotto i (?P<max>\d+)",
            reply=ReplySpec(
                tool_calls=[
                    ToolCallSpec(
                        name="search_products",
                        arguments={"text": "vino rosso", "max_price": "{max}"},
                    )
                ]
            ),
        ),
        Rule(
            role="tool",
            match=r"\d",
            reply=ReplySpec(content="Ecco cosa ti propongo:\n{tool_lines}"),
        ),
    ],
    default=ReplySpec(content="Come posso aiutarti?"),
)


async def test_a_budget_question_through_the_llm_gets_the_catalogues_prices(
    platform: Platform, customer: str, tmp_path: Path
) -> None:
    catalog = await platform.http.get(
        f"{platform.url('catalog')}/v1/tenants/demo/products",
        params={"limit": 100},
        headers=platform.admin("demo"),
    )
    prices = {p["name"]: p["price"] for p in catalog.json()["items"]}
    demo = platform.tenants["demo"]
    with running_scripted_llm(BUDGET_SCRIPT) as llm:
        document = json.loads(DEMO_AGENT_CONFIG.read_text(encoding="utf-8"))
        document["llm"] = {"base_url": llm.base_url, "model": "scripted"}
        with_llm = tmp_path / "agent-config-llm.json"
        with_llm.write_text(json.dumps(document), encoding="utf-8")
        import_agent_config(platform, with_llm)
        try:
            _, response = await platform.say(demo, customer, "Vorrei un vino rosso sotto i 20 euro")
            assert response.status_code == 200
            [reply] = await platform.replies(customer)
            asked = [r["body"] for r in llm.requests()]
        finally:
            import_agent_config(platform, DEMO_AGENT_CONFIG)

    assert asked, "the LLM path was taken"
    cited = [name for name in prices if name in reply]
    assert cited, reply
    for name in cited:
        assert prices[name] in reply, f"{name} is cited with the catalogue's price"
        assert float(prices[name]) <= 20
    for number in re.findall(r"\d+[.,]\d{2}", reply):
        assert number.replace(",", ".") in prices.values(), f"{number} is not a catalogue price"
    waiting = await agent_get(platform, "/conversations", state="bot", limit=200)
    [conversation] = [c for c in waiting["items"] if c["customer_id"] == customer]
    [turn] = (await agent_get(platform, f"/conversations/{conversation['id']}/turns"))["items"]
    assert (turn["assistant"], turn["model"], turn["outcome"]) == ("llm", "scripted", "answered")
    assert [call["name"] for call in turn["tool_calls"]] == ["search_products"]


@contextmanager
def demo_on_scripted_llm(platform: Platform, script: Script, tmp_path: Path) -> Iterator[Any]:
    """Point the demo tenant's agent configuration at a scripted LLM for the block."""
    with running_scripted_llm(script) as llm:
        document = json.loads(DEMO_AGENT_CONFIG.read_text(encoding="utf-8"))
        document["llm"] = {"base_url": llm.base_url, "model": "scripted"}
        with_llm = tmp_path / "agent-config-llm.json"
        with_llm.write_text(json.dumps(document), encoding="utf-8")
        import_agent_config(platform, with_llm)
        try:
            yield llm
        finally:
            import_agent_config(platform, DEMO_AGENT_CONFIG)


async def only_turn(platform: Platform, customer: str) -> dict[str, Any]:
    conversations = await agent_get(platform, "/conversations", state="bot", limit=200)
    [conversation] = [c for c in conversations["items"] if c["customer_id"] == customer]
    [turn] = (await agent_get(platform, f"/conversations/{conversation['id']}/turns"))["items"]
    return turn


INVENTING_SCRIPT = Script(
    rules=[
        Rule(
            role="user",
            match=r"sotto i (?P<max>\d+)",
            reply=ReplySpec(
                tool_calls=[
                    ToolCallSpec(
                        name="search_products",
                        arguments={"text": "vino rosso", "max_price": "{max}"},
                    )
                ]
            ),
        ),
        # Whatever the tools said, and even after the guard's correction: an invented price.
        Rule(
            role="any", match=r".", reply=ReplySpec(content="Il nostro Barolo costa solo € 4,99!")
        ),
    ],
)


async def test_an_invented_price_from_the_llm_never_reaches_the_customer(
    platform: Platform, customer: str, tmp_path: Path
) -> None:
    with demo_on_scripted_llm(platform, INVENTING_SCRIPT, tmp_path):
        _, response = await platform.say(
            platform.tenants["demo"], customer, "Un vino rosso sotto i 20 euro?"
        )
        assert response.status_code == 200
        await platform.replies(customer)
        replies = await platform.settle(customer)
    assert len(replies) == 1, replies
    assert "4,99" not in replies[0], "the guard stopped the invented price"
    turn = await only_turn(platform, customer)
    assert turn["outcome"] == "fallback"
    assert any(f["value"].startswith("4") for f in turn["guard_findings"]), turn["guard_findings"]


async def test_the_llm_failing_still_gets_exactly_one_reply(
    platform: Platform, customer: str, tmp_path: Path
) -> None:
    failing = Script(failures=[Failure(status=500, times=100)])
    with demo_on_scripted_llm(platform, failing, tmp_path) as llm:
        _, response = await platform.say(
            platform.tenants["demo"], customer, "Avete un vino rosso sotto i 20 euro?"
        )
        assert response.status_code == 200
        await platform.replies(customer)
        replies = await platform.settle(customer)
        assert llm.requests(), "the LLM was asked (and failed)"
    assert len(replies) == 1, replies
    turn = await only_turn(platform, customer)
    assert turn["outcome"] in ("fallback", "escalated"), turn
    assert turn["error"], "the failure is recorded in the run log"
