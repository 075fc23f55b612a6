"""The short failure cases CI keeps: one bad item in a batch, a message that fails every
attempt (DLQ), and its replay — through all five services as processes.

The DLQ is driven with the agent's dev-only poison hook (`dev_poison_marker`, refused outside
`environment=dev`): a message containing `platform.poison_marker` fails its turn on every attempt, like a
deterministic bug; a replayed dead letter passes, as if the bug had been fixed meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import pytest

from bancone_cli.webhooks import InboundText, build_texts_webhook

if TYPE_CHECKING:
    from conftest import Platform

pytestmark = pytest.mark.e2e


async def poll(probe: Any, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = await probe()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.3)


async def test_a_batch_with_one_bad_item_answers_the_good_ones_and_lists_the_bad(
    platform: Platform, customer: str
) -> None:
    demo = platform.tenants["demo"]
    other = customer[:-1] + str((int(customer[-1]) + 1) % 10)
    payload = build_texts_webhook(
        demo.phone_number_id,
        [
            InboundText(wa_id=customer, text="Avete un Barolo?"),
            InboundText(wa_id=other, text="Avete olio extravergine?"),
        ],
    )
    bad = {"from": customer, "id": f"wamid.bad{customer}", "timestamp": "1", "type": "reaction"}
    bad["reaction"] = {"emoji": "\U0001f44d"}  # no message_id: this item alone is refused
    payload["entry"][0]["changes"][0]["value"]["messages"].append(bad)

    response = await platform.post_webhook(demo, payload)

    assert response.status_code == 200, response.text
    assert (response.json()["published"], response.json()["rejected"]) == (2, 1)
    assert len(await platform.replies(customer)) == 1
    assert len(await platform.replies(other)) == 1
    listed = await platform.http.get(
        platform.url("gateway") + "/v1/webhook-rejected-items",
        params={"tenant_id": "demo"},
        headers=await platform.platform_token(),
    )
    assert listed.status_code == 200, listed.text
    [item] = [i for i in listed.json()["items"] if i["raw"].get("id") == bad["id"]]
    assert "reaction.message_id" in item["error"]
    assert await platform.settle(customer, seconds=2) == await platform.replies(customer)


async def test_a_dead_lettered_message_escalates_and_its_replay_adds_no_reply(
    platform: Platform, customer: str
) -> None:
    demo = platform.tenants["demo"]
    agent = platform.url("agent") + "/v1/tenants/demo"
    owner = platform.admin("demo")
    wamid, response = await platform.say(
        demo, customer, f"Avete un Barolo? {platform.poison_marker}"
    )
    assert response.status_code == 200

    [holding] = await platform.replies(customer, seconds=90)
    in_force = await platform.http.get(agent + "/assistant-config", headers=owner)
    in_force.raise_for_status()
    assert in_force.json()["config"]["holding_message"]["it"] in holding, "the holding message"

    async def dead_letter() -> dict[str, Any] | None:
        r = await platform.http.get(agent + "/dead-letters", headers=owner)
        r.raise_for_status()
        return next((d for d in r.json() if wamid in d["payload"]), None)

    letter = await poll(dead_letter)
    assert letter is not None, "the dead letter is listed"
    assert (letter["status"], letter["error_type"]) == ("dead", "PoisonedForTestError")
    conversation = await platform.http.get(
        f"{agent}/conversations/{letter['conversation_id']}", headers=owner
    )
    assert conversation.json()["state"] == "waiting_for_human"
    # An operator closes it before the replay: a new message would go to the assistant now.
    resolved = await platform.http.post(
        f"{agent}/conversations/{letter['conversation_id']}/resolve", headers=owner
    )
    assert resolved.json()["state"] == "resolved"

    replayed = await platform.http.post(
        f"{agent}/dead-letters/{letter['id']}/replay", headers=owner
    )
    assert replayed.status_code == 200, replayed.text
    again = await platform.http.post(f"{agent}/dead-letters/{letter['id']}/replay", headers=owner)
    assert again.status_code == 409

    async def message_recorded() -> bool:
        r = await platform.http.get(
            f"{agent}/conversations/{letter['conversation_id']}/messages", headers=owner
        )
        said = [m["text"] or "" for m in r.json()["items"] if m["direction"] == "in"]
        return any(platform.poison_marker in text for text in said)

    assert await poll(message_recorded), "the replayed message reached the conversation"
    assert await platform.settle(customer, seconds=3) == [holding], "no second reply"
