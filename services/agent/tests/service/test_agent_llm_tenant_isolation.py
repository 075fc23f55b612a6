"""A model cannot read another tenant's data: tools are bound to the conversation's tenant,
so `get_product` with another tenant's product id finds nothing — over real HTTP, against a
fake catalog that holds both tenants, driven by the scripted model through the real SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bancone_agent.adapters.llm_assistant import LlmAssistant
from bancone_agent.adapters.llm_client import LlmOptions
from bancone_agent.adapters.shop_tools import HttpShopTools
from bancone_agent.domain import Turn
from bancone_agent.domain.config import AgentConfig
from bancone_scripted_llm import ScriptedLlm, running_scripted_llm
from services.agent.tests.support.shop_api import FakeShopApi, catalog_product, serve

pytestmark = pytest.mark.service

A, B = "enoteca-a", "bottega-b"
CHIANTI = catalog_product(A, "CHI-1", "Chianti Classico", "14.50")
SECRET = catalog_product(B, "SEC-1", "Amarone Riserva Segreta", "9.00", stock=4)
RETIRED = catalog_product(A, "OLD-1", "Barolo Vecchio", "30.00", active=False)


@pytest.fixture
async def shop_url() -> AsyncIterator[tuple[FakeShopApi, str]]:
    api = FakeShopApi(products={A: [CHIANTI, RETIRED], B: [SECRET]})
    async with serve(api.app()) as url:
        yield api, url


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture(scope="module")
def llm() -> Iterator[ScriptedLlm]:
    with running_scripted_llm() as server:
        yield server


async def test_get_product_reads_only_the_bound_tenant(
    shop_url: tuple[FakeShopApi, str], http: httpx.AsyncClient
) -> None:
    api, url = shop_url
    tools_a = HttpShopTools(A, url, url, http, retry_delay=0)

    own = await tools_a.get_product(CHIANTI["id"])
    foreign = await tools_a.get_product(SECRET["id"])
    retired = await tools_a.get_product(RETIRED["id"])
    not_an_id = await tools_a.get_product("../../bottega-b/products/x")

    assert own is not None
    assert (own.name, str(own.price)) == ("Chianti Classico", "14.50")
    assert foreign is None
    assert retired is None
    assert not_an_id is None
    assert {r.path.split("/")[3] for r in api.requests} == {A}


async def test_list_offers_reads_the_catalogs_current_offers(
    shop_url: tuple[FakeShopApi, str], http: httpx.AsyncClient
) -> None:
    api, url = shop_url
    api.offers[A] = [
        {
            "id": "o1",
            "tenant_id": A,
            "code": "NOW",
            "title": "Now",
            "description": "10% off",
            "discount_percent": "10",
            "product_skus": ["CHI-1"],
        },
        {
            "id": "o2",
            "tenant_id": A,
            "code": "OLD",
            "title": "Old",
            "description": "expired",
            "discount_percent": "50",
            "valid_until": "2020-01-01",
        },
    ]
    api.offers[B] = [{"id": "o3", "tenant_id": B, "code": "B", "title": "B's", "description": ""}]

    offers = await HttpShopTools(A, url, url, http).list_offers()

    assert [(o.title, o.payload["discount_percent"]) for o in offers] == [("Now", "10")]


async def test_a_model_asking_for_another_tenants_product_gets_nothing_of_it(
    shop_url: tuple[FakeShopApi, str], http: httpx.AsyncClient, llm: ScriptedLlm
) -> None:
    api, url = shop_url
    steal = {"name": "get_product", "arguments": {"product_id": SECRET["id"]}}
    with_tenant = {
        "name": "get_product",
        "arguments": {"product_id": SECRET["id"], "tenant_id": B},
    }
    llm.load(
        {
            "rules": [
                {"role": "user", "match": "segreta", "reply": {"tool_calls": [steal, with_tenant]}},
                {"role": "tool", "match": "", "reply": {"content": "Non lo trovo, mi spiace."}},
            ]
        }
    )
    llm.forget_requests()
    turn = Turn(
        tenant_id=A,
        conversation_id="c",
        text="Mi dai il prezzo dell'Amarone Riserva Segreta?",
        shop_name="Enoteca A",
        config=AgentConfig(shop_name="Enoteca A"),
    )
    assistant = LlmAssistant(LlmOptions(base_url=llm.base_url, model="scripted", max_retries=0))

    reply = await assistant.respond(turn, HttpShopTools(A, url, url, http, retry_delay=0))

    assert reply is not None
    assert reply.text == "Non lo trovo, mi spiace."
    assert "9" not in reply.text
    assert reply.run is not None
    plain, forged = reply.run.tool_calls
    assert (plain.name, plain.result_items, plain.error) == ("get_product", 0, None)
    assert forged.error is not None
    assert "tenant_id" in forged.error
    tool_results = [m["content"] for m in llm.bodies()[-1]["messages"] if m["role"] == "tool"]
    assert all("Segreta" not in r and "9.00" not in r for r in tool_results)
    assert all(r.path.startswith(f"/v1/tenants/{A}/") for r in api.requests)
