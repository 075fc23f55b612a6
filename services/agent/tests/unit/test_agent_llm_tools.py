"""The model's tools: schemas generated from the argument models, only the tenant's enabled
tools offered, arguments validated (errors go back to the model and into the run log), no
tenant argument, and every result kept as evidence for the guard."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from bancone_agent.domain import ProductQuery, ToolError
from bancone_agent.domain.tools import (
    TOOLS,
    EscalateArgs,
    SearchProductsArgs,
    TurnTools,
    offered_tools,
)
from services.agent.tests.support.memory_shop import demo_shop

pytestmark = pytest.mark.unit


def test_every_tool_schema_is_its_argument_model_as_an_object_without_titles() -> None:
    tools = {spec.name: spec.openai_tool() for spec in TOOLS.values()}

    assert set(tools) == {
        "search_products",
        "get_product",
        "search_knowledge",
        "list_offers",
        "escalate_to_human",
        "add_to_cart",
        "remove_from_cart",
        "view_cart",
        "set_fulfilment",
        "request_order_confirmation",
        "order_status",
    }
    search = tools["search_products"]["function"]
    params = search["parameters"]
    assert params["type"] == "object"
    assert params["additionalProperties"] is False
    assert set(params["properties"]) == {
        "text",
        "category",
        "max_price",
        "min_price",
        "in_stock_only",
    }
    assert {"type": "number", "minimum": 0} in params["properties"]["max_price"]["anyOf"]
    assert "title" not in json.dumps(tools)
    assert tools["escalate_to_human"]["function"]["parameters"]["required"] == ["reason"]
    assert tools["list_offers"]["function"]["parameters"]["properties"] == {}
    assert all(t["function"]["description"] for t in tools.values())


def test_no_tool_takes_a_tenant() -> None:
    for spec in TOOLS.values():
        assert not any("tenant" in name for name in spec.parameters().get("properties", {}))


def test_only_enabled_tools_are_offered() -> None:
    offered = [s.name for s in offered_tools(("list_offers", "search_products", "bogus"))]

    assert offered == ["search_products", "list_offers"]
    assert TurnTools(demo_shop(), ()).openai_tools() == []


def test_prices_are_exact_decimals_once_validated() -> None:
    args = SearchProductsArgs.model_validate({"text": "rosso", "max_price": 19.9})

    assert args.max_price == Decimal("19.9")


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"max_price": "cheap"}', "max_price"),
        ('{"max_price": -5}', "max_price"),
        ('{"category": "Vino Rosso!"}', "category"),
        ('{"tenant_id": "other-shop"}', "tenant_id"),
    ],
)
async def test_malformed_arguments_are_a_tool_error_for_the_model_and_the_run_log(
    raw: str, error: str
) -> None:
    shop = demo_shop()
    tools = TurnTools(shop, TOOLS)

    outcome = await tools.call("search_products", raw)

    assert error in json.loads(outcome.content)["error"]
    assert outcome.record.error is not None
    assert error in outcome.record.error
    assert tools.records == [outcome.record]
    assert shop.calls == []


async def test_an_unknown_or_disabled_tool_is_refused_without_calling_the_shop() -> None:
    shop = demo_shop()
    tools = TurnTools(shop, ("search_products",))

    outcome = await tools.call("list_offers", "{}")

    assert "unknown tool" in json.loads(outcome.content)["error"]
    assert shop.calls == []


async def test_search_products_passes_the_filters_and_keeps_the_results_as_evidence() -> None:
    shop = demo_shop()
    tools = TurnTools(shop, TOOLS)

    outcome = await tools.call(
        "search_products",
        '{"text": "vino", "category": "vino-rosso", "max_price": 10, "in_stock_only": true}',
    )

    [(_, query)] = shop.calls
    assert query == ProductQuery(
        text="vino",
        category="vino-rosso",
        max_price=Decimal("10"),
        in_stock_only=True,
        limit=6,
    )
    products = json.loads(outcome.content)["products"]
    assert {(p["name"].split(" \u2013")[0], p["price"]) for p in products} == {
        ("Montepulciano d'Abruzzo DOC 2022", "8.90"),
        ("Nero d'Avola Sicilia DOC 2022", "9.50"),
        ("Lambrusco di Sorbara DOC Secco", "9.90"),
    }
    assert set(tools.evidence.products) == {p["id"] for p in products}
    assert outcome.record.result_items == 3
    assert outcome.record.result_bytes == len(outcome.content.encode())
    assert outcome.record.arguments["max_price"] == 10
    # What the customer was shown, for the notifier's "asked about" interests.
    assert outcome.record.categories == ("vino-rosso",)


async def test_get_product_of_an_unknown_id_returns_nothing() -> None:
    tools = TurnTools(demo_shop(), TOOLS)

    outcome = await tools.call("get_product", '{"product_id": "someone-elses-id"}')

    assert json.loads(outcome.content)["product"] is None
    assert tools.evidence.empty


async def test_list_offers_and_knowledge_become_evidence() -> None:
    tools = TurnTools(demo_shop(), TOOLS)

    offers = json.loads((await tools.call("list_offers", "")).content)["offers"]
    faq = json.loads((await tools.call("search_knowledge", '{"query": "spedizione"}')).content)

    assert {o["code"] for o in offers} == {"DEGUSTAZIONE-TOSCANA", "NATALE-BOLLICINE"}
    assert offers[0]["discount_percent"] in {"10", "15"}
    assert "7,90" in faq["results"][0]["answer"]
    assert {h.kind for h in tools.evidence.knowledge} == {"offer", "faq"}


async def test_escalate_returns_the_reason_and_calls_nothing() -> None:
    shop = demo_shop()
    tools = TurnTools(shop, TOOLS)

    outcome = await tools.call("escalate_to_human", '{"reason": "wants a refund"}')

    assert outcome.escalation == EscalateArgs(reason="wants a refund")
    assert shop.calls == []


async def test_a_failing_shop_is_a_tool_error_for_the_assistant() -> None:
    shop = demo_shop()
    shop.down = True

    with pytest.raises(ToolError):
        await TurnTools(shop, TOOLS).call("search_products", '{"text": "barolo"}')
