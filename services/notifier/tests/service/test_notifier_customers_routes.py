"""The customer routes with the notifier as it runs (real Kafka, PostgreSQL, the sandbox, signed
operator tokens): the list and its filters, the consent ledger, bad input, 404s, roles and
tenant isolation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bancone_kit.testing.tokens import bearer
from services.notifier.tests.customer_support import (
    TEMPLATE,
    Harness,
    customer_of,
    interests_become,
    order_event,
    running_customer_harness,
)
from services.notifier.tests.support import new_wa_id

pytestmark = pytest.mark.service


@pytest.fixture
async def harness(
    postgres_url: str, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> AsyncIterator[Harness]:
    async with running_customer_harness(postgres_url, kafka_bootstrap, new_topic) as found:
        yield found


async def test_the_customer_list_pages_and_filters(harness: Harness) -> None:
    shop = harness.shop
    base = f"/v1/tenants/{shop.tenant_id}"
    async with harness.notifier() as (_, client):
        names = ["Giulia Rossi", "Marco Bianchi", "Giulia Verdi"]
        customers = [await harness.wrote(shop, "iscrivimi", name) for name in names]
        stopped = await harness.wrote(shop, "STOP", "Paolo")
        # opted in at the till, never wrote: known, window closed
        till = new_wa_id()
        recorded = await client.post(
            f"{base}/customers/{till}/consent",
            json={"action": "opt_in", "source": "till", "proof": "modulo firmato n. 12"},
        )
        assert recorded.status_code == 200, recorded.text
        assert (recorded.json()["consent"], recorded.json()["window_open"]) == ("opted_in", False)
        await client.put(f"{base}/customers/{customers[1]}/tags", json={"tags": ["vip"]})

        seen: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = (await client.get(f"{base}/customers", params=params)).json()
            seen += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        ids = [item["customer_id"] for item in seen]
        assert ids == sorted([*customers, stopped, till])
        first = next(item for item in seen if item["customer_id"] == customers[0])
        assert first == {
            "customer_id": customers[0],
            "name": "Giulia Rossi",
            "language": "it",
            "consent": "opted_in",
            "tags": [],
            "last_inbound_at": first["last_inbound_at"],
            "window_open": True,
            "interests": {"bought": [], "asked": []},
        }

        async def listed(**params: Any) -> list[str]:
            response = await client.get(f"{base}/customers", params=params)
            assert response.status_code == 200, response.text
            return [item["customer_id"] for item in response.json()["items"]]

        assert await listed(consent="opted_out") == [stopped]
        assert set(await listed(consent="opted_in")) == {*customers, till}
        assert await listed(consent="none") == []
        assert await listed(tag="VIP") == [customers[1]]
        assert set(await listed(q="giulia")) == {customers[0], customers[2]}
        assert await listed(q=till[:8]) == [till]
        assert await listed(q="%") == []

        # one customer, with the ledger
        detail = await customer_of(client, shop.tenant_id, stopped)
        [entry] = detail["consent_history"]
        assert (entry["action"], entry["source"]) == ("opt_out", "keyword")
        assert entry["proof"].endswith(": STOP")
        # a console opt-in later: the ledger keeps both, the state follows the newest
        again = await client.post(
            f"{base}/customers/{stopped}/consent",
            json={
                "action": "opt_in",
                "source": "web_form",
                "proof": "form #88",
                "request_id": "r1",
            },
        )
        assert again.json()["consent"] == "opted_in"
        await client.post(
            f"{base}/customers/{stopped}/consent",
            json={
                "action": "opt_in",
                "source": "web_form",
                "proof": "form #88",
                "request_id": "r1",
            },
        )
        history = (await customer_of(client, shop.tenant_id, stopped))["consent_history"]
        assert [(e["action"], e["source"]) for e in history] == [
            ("opt_out", "keyword"),
            ("opt_in", "web_form"),
        ]
        out = await client.post(
            f"{base}/customers/{stopped}/consent", json={"action": "opt_out", "source": "console"}
        )
        assert out.json()["consent"] == "opted_out"
        last = (await customer_of(client, shop.tenant_id, stopped))["consent_history"][-1]
        assert last["proof"] == f"recorded by operator op-owner-{shop.tenant_id}"


async def test_bad_input_is_refused_with_a_422_and_changes_nothing(harness: Harness) -> None:
    shop = harness.shop
    base = f"/v1/tenants/{shop.tenant_id}"
    async with harness.notifier() as (_, client):
        wa_id = await harness.wrote(shop, "iscrivimi")
        refused: dict[str, tuple[str, str, dict[str, Any] | None]] = {
            "opt-in without proof": (
                "POST",
                f"customers/{wa_id}/consent",
                {"action": "opt_in", "source": "console", "proof": "  "},
            ),
            "the customer's own source": (
                "POST",
                f"customers/{wa_id}/consent",
                {"action": "opt_out", "source": "keyword"},
            ),
            "unknown action": ("POST", f"customers/{wa_id}/consent", {"action": "maybe"}),
            "bad tag": ("PUT", f"customers/{wa_id}/tags", {"tags": ["vip!"]}),
            "long tag": ("PUT", f"customers/{wa_id}/tags", {"tags": ["x" * 33]}),
            "21 tags": ("PUT", f"customers/{wa_id}/tags", {"tags": [f"t{n}" for n in range(21)]}),
            "filler keyword": (
                "PUT",
                "consent/keywords",
                {"keywords": [{"phrase": "please", "action": "opt_out", "language": "en"}]},
            ),
            "repeated keyword": (
                "PUT",
                "consent/keywords",
                {
                    "keywords": [
                        {"phrase": "stop", "action": "opt_out", "language": "en"},
                        {"phrase": "STOP!", "action": "opt_in", "language": "en"},
                    ]
                },
            ),
            "bad cursor": ("GET", "customers?cursor=!!!", None),
            "limit 0": ("GET", "customers?limit=0", None),
            "bad consent filter": ("GET", "customers?consent=maybe", None),
            "empty tag segment": ("POST", "campaigns", {"segment": {"tags": []}}),
            "bad category segment": (
                "POST",
                "campaigns",
                {"segment": {"bought_categories": ["Vino Rosso"]}},
            ),
        }
        for why, (method, path, body) in refused.items():
            if path == "campaigns":
                assert body is not None
                body = {
                    "name": "x",
                    "phone_number_id": shop.phone_number_id,
                    "template": {"name": TEMPLATE, "language": "it"},
                } | body
            response = await client.request(method, f"{base}/{path}", json=body)
            assert response.status_code == 422, (why, response.text)
        problem = (
            await client.put(f"{base}/consent/keywords", json=refused["filler keyword"][2])
        ).json()
        assert "never be a whole message" in problem["detail"]
        kept = await customer_of(client, shop.tenant_id, wa_id)
        assert (kept["consent"], kept["tags"], len(kept["consent_history"])) == ("opted_in", [], 1)
        keywords = (await client.get(f"{base}/consent/keywords")).json()
        assert keywords["uses_defaults"] is True

        # 404s: a customer nobody knows
        unknown = new_wa_id()
        assert (await client.get(f"{base}/customers/{unknown}")).status_code == 404
        tags = await client.put(f"{base}/customers/{unknown}/tags", json={"tags": ["vip"]})
        assert tags.status_code == 404
        # a viewer reads but does not write
        viewer = bearer(harness.signer.operator(shop.tenant_id, "viewer"))
        assert (await client.get(f"{base}/customers", headers=viewer)).status_code == 200
        denied = await client.put(
            f"{base}/customers/{wa_id}/tags", json={"tags": ["vip"]}, headers=viewer
        )
        assert denied.status_code == 403


async def test_another_tenant_neither_sees_nor_changes_a_customer_nor_their_keywords(
    harness: Harness,
) -> None:
    shop, rival = harness.shop, harness.rival
    ours, theirs = f"/v1/tenants/{shop.tenant_id}", f"/v1/tenants/{rival.tenant_id}"
    rival_admin = bearer(harness.signer.operator(rival.tenant_id, "admin"))
    async with harness.notifier() as (_, client):
        wa_id = await harness.wrote(shop, "iscrivimi", "Giulia")
        await client.put(f"{ours}/customers/{wa_id}/tags", json={"tags": ["vip"]})
        await harness.publish(order_event(shop, wa_id, "paid", ["vino-rosso"]))
        await interests_become(
            client, shop.tenant_id, wa_id, {"bought": ["vino-rosso"], "asked": []}
        )

        # the shop's paths with the rival's token: another tenant
        for method, path, body in (
            ("GET", f"customers/{wa_id}", None),
            ("GET", "customers", None),
            ("PUT", f"customers/{wa_id}/tags", {"tags": []}),
            ("POST", f"customers/{wa_id}/consent", {"action": "opt_out", "source": "console"}),
            ("GET", "consent/keywords", None),
            ("PUT", "consent/keywords", {"keywords": []}),
        ):
            response = await client.request(
                method, f"{ours}/{path}", json=body, headers=rival_admin
            )
            assert response.status_code == 404, (path, response.text)
        # the rival's own paths: the customer is not theirs
        assert (await client.get(f"{theirs}/customers/{wa_id}")).status_code == 404
        assert (await client.get(f"{theirs}/customers")).json()["items"] == []
        assert (await client.get(f"{theirs}/customers", params={"tag": "vip"})).json() == {
            "items": [],
            "next_cursor": None,
        }
        tags = await client.put(f"{theirs}/customers/{wa_id}/tags", json={"tags": ["spam"]})
        assert tags.status_code == 404
        # the rival records an opt-out for the same number: theirs only (consent is per tenant)
        out = await client.post(
            f"{theirs}/customers/{wa_id}/consent", json={"action": "opt_out", "source": "import"}
        )
        assert (out.json()["consent"], out.json()["tags"], out.json()["interests"]) == (
            "opted_out",
            [],
            {"bought": [], "asked": []},
        )
        # the rival's own keywords do not change the shop's
        custom = {"keywords": [{"phrase": "fermati", "action": "opt_out", "language": "it"}]}
        put = await client.put(f"{theirs}/consent/keywords", json=custom)
        assert put.json() == custom | {"uses_defaults": False}

        mine = await customer_of(client, shop.tenant_id, wa_id)
        assert (mine["consent"], mine["tags"], mine["interests"]["bought"]) == (
            "opted_in",
            ["vip"],
            ["vino-rosso"],
        )
        assert len(mine["consent_history"]) == 1
        keywords = (await client.get(f"{ours}/consent/keywords")).json()
        assert keywords["uses_defaults"] is True
        assert {"phrase": "stop", "action": "opt_out", "language": "en"} in keywords["keywords"]
