"""The model's cart tools over real HTTP (the real `openai` SDK against the scripted LLM):
the model fills the cart and asks for the confirmation; the reply is the order desk's
summary with the catalog's total and the Confirm/Cancel buttons, and nothing is placed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bancone_agent.adapters.llm_assistant import LlmAssistant
from bancone_agent.adapters.llm_client import LlmOptions
from bancone_agent.domain import Turn
from bancone_agent.domain.config import AgentConfig
from bancone_scripted_llm import ScriptedLlm, running_scripted_llm
from services.agent.tests.support.memory_shop import demo_shop
from services.agent.tests.support.orders_api import Item, OrdersStandIn

pytestmark = pytest.mark.service

TENANT = "demo"


@pytest.fixture(scope="module")
def llm() -> Iterator[ScriptedLlm]:
    with running_scripted_llm() as server:
        yield server


def call(role: str, match: str, tool: str, **arguments: Any) -> dict[str, Any]:
    tool_call = {"name": tool, "arguments": arguments}
    return {"role": role, "match": match, "reply": {"tool_calls": [tool_call]}}


async def test_the_model_fills_the_cart_and_the_customer_gets_the_summary_buttons(
    llm: ScriptedLlm,
) -> None:
    shop = demo_shop()
    api = OrdersStandIn()
    for p in shop.products:
        api.stock(TENANT, Item(p.sku, p.name, p.price, p.stock, product_id=p.id))
    llm.load(
        {
            "rules": [
                {"role": "tool", "match": "Confirm/Cancel", "reply": {"content": "Ecco."}},
                call("tool", '"still_needed": null', "request_order_confirmation"),
                call(
                    "tool",
                    '"still_needed": "method"',
                    "set_fulfilment",
                    method="pickup",
                    name="Giulia Rossi",
                ),
                call("user", "Barolo", "add_to_cart", sku="rosso-barolo-2019", quantity=2),
            ]
        }
    )
    llm.forget_requests()
    options = LlmOptions(base_url=llm.base_url, api_key="sk-test", model="scripted",
                         timeout_seconds=5.0, max_retries=0)  # fmt: skip
    assistant = LlmAssistant(options, orders_for=api.tools)
    turn = Turn(
        tenant_id=TENANT,
        conversation_id="conv-1",
        text="Mettimi nel carrello due Barolo da ritirare, a nome Giulia Rossi",
        shop_name="Enoteca Bancone",
        config=AgentConfig(shop_name="Enoteca Bancone"),
        customer_id="393330001122",
        message_id="wamid.X",
    )

    reply = await assistant.respond(turn, shop)

    assert reply is not None
    assert reply.run is not None
    assert [c.name for c in reply.run.tool_calls] == [
        "add_to_cart",
        "set_fulfilment",
        "request_order_confirmation",
    ]
    assert "Totale: *€ 84,00*" in reply.text
    assert "Ritiro in negozio a nome di Giulia Rossi" in reply.text
    assert reply.cart is not None
    assert [b.id for b in reply.buttons] == [
        f"order:confirm:{reply.cart.fingerprint}",
        "order:cancel",
    ]
    assert api.placements == [], "only the customer's tap places an order"
    tools_offered = {t["function"]["name"] for t in llm.bodies()[0]["tools"]}
    assert "request_order_confirmation" in tools_offered
