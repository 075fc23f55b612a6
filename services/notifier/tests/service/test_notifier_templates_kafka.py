"""Message templates with the notifier as it runs: its HTTP API (real token checks), real Kafka
topics, real PostgreSQL and the WhatsApp sandbox as the Graph API (message-template endpoints
and sends). Templates are created, synced and deleted at the sandbox; Meta's status and quality
webhooks arrive as the gateway publishes them; a send with the wrong parameters, or of a
template that is not approved, fails without any Graph send."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bancone_contracts.common import utc_now
from bancone_contracts.events.channel import ChannelChanged
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.outbound import (
    OutboundMessageRequested,
    OutboundTemplate,
    TemplateComponent,
    TemplateParameter,
)
from bancone_contracts.events.status import WhatsAppStatusUpdated
from bancone_contracts.events.whatsapp_update import WhatsAppUpdateReceived
from bancone_kit.db import session_factory
from bancone_kit.testing.polling import eventually
from bancone_kit.testing.tokens import bearer
from bancone_notifier.adapters.tables import OutboundMessageRecord
from services.notifier.tests.support import EventFactory, new_wa_id
from services.notifier.tests.support.kafka import KafkaHarness, running_harness

pytestmark = pytest.mark.service

EVENTS = (
    ChannelChanged,
    OutboundMessageRequested,
    WhatsAppStatusUpdated,
    InboundMessageReceived,
    WhatsAppUpdateReceived,
)
RIVAL_WABA_ID = "100000000000777"
OFFER_COMPONENTS: list[dict[str, Any]] = [
    {
        "type": "BODY",
        "text": "Ciao {{1}}, il {{2}} è in offerta fino a domenica.",
        "example": {"body_text": [["Giulia", "Barbera"]]},
    },
    {"type": "FOOTER", "text": "Enoteca Bancone"},
]


class Harness(KafkaHarness):
    """The shared harness plus the template tests' calls; `api` is the running notifier's
    HTTP client as each path's tenant admin."""

    api: httpx.AsyncClient

    def path(self, tenant_id: str | None = None) -> str:
        return f"/v1/tenants/{tenant_id or self.shop.tenant_id}/templates"

    async def create(self, name: str, **overrides: Any) -> httpx.Response:
        body = {
            "phone_number_id": self.shop.phone_number_id,
            "name": name,
            "language": "it",
            "category": "marketing",
            "components": OFFER_COMPONENTS,
        } | overrides
        return await self.api.post(self.path(), json=body)

    async def listed(self, tenant_id: str | None = None) -> list[dict[str, Any]]:
        response = await self.api.get(self.path(tenant_id))
        response.raise_for_status()
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def at_meta(self, owner: EventFactory | None = None) -> list[dict[str, Any]]:
        """The templates the sandbox (Meta) holds for the shop's (or `owner`'s) account."""
        owner = owner or self.shop
        response = await self.sandbox.get(
            f"/v23.0/{owner.waba_id}/message_templates", headers=bearer(owner.access_token)
        )
        response.raise_for_status()
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    async def register_at_meta(self, name: str, components: list[dict[str, Any]]) -> str:
        """A template created in Meta's own tools (not through Bancone)."""
        response = await self.sandbox.post(
            f"/v23.0/{self.shop.waba_id}/message_templates",
            json={"name": name, "language": "it", "category": "UTILITY", "components": components},
            headers=bearer(self.shop.access_token),
        )
        response.raise_for_status()
        meta_id: str = response.json()["id"]
        return meta_id

    async def settled(self, outbound_id: uuid.UUID, *states: str) -> OutboundMessageRecord:
        async def probe() -> OutboundMessageRecord | None:
            async with session_factory(self.engine)() as session:
                row = await session.get(OutboundMessageRecord, outbound_id)
            return row if row is not None and row.state in states else None

        return await eventually(probe)

    async def template_becomes(self, name: str, **expected: Any) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            for item in await self.listed():
                if item["name"] == name and all(item[k] == v for k, v in expected.items()):
                    return item
            return None

        return await eventually(probe)


@pytest.fixture
async def harness(
    postgres_url: str, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> AsyncIterator[Harness]:
    """The rival in its own WhatsApp Business Account; new templates wait in review."""
    async with (
        running_harness(
            Harness,
            postgres_url,
            kafka_bootstrap,
            new_topic,
            EVENTS,
            rival_waba_id=RIVAL_WABA_ID,
            sandbox={"template_initial_status": "PENDING"},
        ) as harness,
        harness.notifier(role="admin") as (_, api),
    ):
        harness.api = api
        await eventually(lambda: _channel_known(harness, harness.shop))
        await eventually(lambda: _channel_known(harness, harness.rival))
        yield harness


async def _channel_known(harness: Harness, events: EventFactory) -> bool:
    response = await harness.api.get(
        harness.path(events.tenant_id), params={"phone_number_id": events.phone_number_id}
    )
    return response.status_code == 200


def offer(*values: str, name: str = "new_offer") -> OutboundTemplate:
    parameters = tuple(TemplateParameter(value=v) for v in values)
    return OutboundTemplate(
        name=name,
        language_code="it",
        category="marketing",
        components=(TemplateComponent(type="body", parameters=parameters),),
    )


async def approve(harness: Harness, meta_id: str, *, time_offset: float = 0.0) -> None:
    """Meta's review ends (the sandbox's status changes) and its webhook arrives, as the
    gateway publishes it."""
    if time_offset == 0.0:
        await harness.sandbox.put(
            f"/sandbox/templates/{meta_id}/status", json={"status": "APPROVED"}
        )
    await harness.publish(
        harness.shop.template_notice(
            "message_template_status_update",
            template_id=meta_id,
            name="new_offer",
            event="APPROVED",
            time=utc_now() + timedelta(seconds=time_offset),
        )
    )


# --- create / list / sync / delete ------------------------------------------------------------


async def test_a_created_template_goes_to_meta_and_is_listed_pending(harness: Harness) -> None:
    response = await harness.create("new_offer")

    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["name"], created["language"], created["category"], created["status"]) == (
        "new_offer",
        "it",
        "MARKETING",
        "PENDING",
    )
    [at_meta] = await harness.at_meta()
    assert at_meta["id"] == created["meta_id"]
    assert at_meta["components"] == OFFER_COMPONENTS
    [listed] = await harness.listed()
    assert listed["id"] == created["id"]
    fetched = await harness.api.get(f"{harness.path()}/{created['id']}")
    assert fetched.json()["components"] == OFFER_COMPONENTS


async def test_a_template_meta_would_refuse_is_refused_here_without_a_graph_call(
    harness: Harness,
) -> None:
    no_example = [{"type": "BODY", "text": "Ciao {{1}}, il {{2}} è in offerta."}]

    response = await harness.create("new_offer", components=no_example)

    assert response.status_code == 422
    problem = response.json()
    assert problem["title"] == "Invalid template"
    assert "body: 2 example value(s) needed, 0 given" in problem["detail"]
    assert await harness.at_meta() == []
    assert await harness.listed() == []


async def test_a_template_meta_refuses_comes_back_with_metas_code(harness: Harness) -> None:
    assert (await harness.create("new_offer")).status_code == 201

    again = await harness.create("new_offer")

    assert again.status_code == 422
    assert again.json()["graph_code"] == 100
    assert len(await harness.listed()) == 1


async def test_sync_brings_templates_made_elsewhere_and_drops_deleted_ones(
    harness: Harness,
) -> None:
    assert (await harness.create("new_offer")).status_code == 201
    await harness.register_at_meta("order_ready", [{"type": "BODY", "text": "Ordine pronto."}])
    sync = {"phone_number_id": harness.shop.phone_number_id}

    synced = await harness.api.post(f"{harness.path()}:sync", json=sync)

    assert synced.status_code == 200, synced.text
    by_name = {item["name"]: item for item in await harness.listed()}
    assert set(by_name) == {"new_offer", "order_ready"}
    assert by_name["order_ready"]["category"] == "UTILITY"
    assert by_name["order_ready"]["synced_at"] is not None
    # deleted at Meta (not through Bancone): the next sync drops it here too
    await harness.sandbox.request(
        "DELETE",
        f"/v23.0/{harness.shop.waba_id}/message_templates",
        params={"name": "order_ready"},
        headers=bearer(harness.shop.access_token),
    )
    await harness.api.post(f"{harness.path()}:sync", json=sync)
    assert [item["name"] for item in await harness.listed()] == ["new_offer"]


async def test_delete_removes_the_template_at_meta_and_here(harness: Harness) -> None:
    assert (await harness.create("new_offer")).status_code == 201

    deleted = await harness.api.delete(
        f"{harness.path()}/new_offer", params={"phone_number_id": harness.shop.phone_number_id}
    )

    assert deleted.status_code == 204
    assert await harness.at_meta() == []
    assert await harness.listed() == []
    missing = await harness.api.delete(
        f"{harness.path()}/new_offer", params={"phone_number_id": harness.shop.phone_number_id}
    )
    assert missing.status_code == 404


# --- webhooks ---------------------------------------------------------------------------------


async def test_status_and_quality_webhooks_update_the_template_and_a_stale_one_is_ignored(
    harness: Harness,
) -> None:
    created = (await harness.create("new_offer")).json()
    meta_id = created["meta_id"]

    await approve(harness, meta_id)
    await harness.template_becomes("new_offer", status="APPROVED")
    await harness.publish(
        harness.shop.template_notice(
            "message_template_quality_update",
            template_id=meta_id,
            name="new_offer",
            quality_score="YELLOW",
        )
    )
    await harness.template_becomes("new_offer", quality_score="YELLOW")
    await harness.publish(
        harness.shop.template_notice(
            "message_template_status_update",
            template_id=meta_id,
            name="new_offer",
            event="PAUSED",
            reason="Low quality",
        )
    )
    paused = await harness.template_becomes("new_offer", status="PAUSED")
    assert paused["reason"] == "Low quality"
    # an APPROVED that Meta sent before the pause, delivered late, does not undo it
    await approve(harness, meta_id, time_offset=-3600)
    await harness.publish(
        harness.shop.template_notice(
            "message_template_quality_update",
            template_id=meta_id,
            name="new_offer",
            quality_score="RED",
        )
    )
    after = await harness.template_becomes("new_offer", quality_score="RED")
    assert after["status"] == "PAUSED"


async def test_a_webhook_for_another_tenant_changes_nothing_here(harness: Harness) -> None:
    created = (await harness.create("new_offer")).json()
    rival_created = await harness.api.post(
        harness.path(harness.rival.tenant_id),
        json={
            "phone_number_id": harness.rival.phone_number_id,
            "name": "rival_offer",
            "language": "it",
            "category": "marketing",
            "components": OFFER_COMPONENTS,
        },
    )
    assert rival_created.status_code == 201, rival_created.text
    # the shop's template id and account, but published for the rival tenant
    wrong_tenant = harness.shop.template_notice(
        "message_template_status_update",
        template_id=created["meta_id"],
        name="new_offer",
        event="APPROVED",
        tenant_id=harness.rival.tenant_id,
    )
    sentinel = harness.rival.template_notice(  # same key: handled after the one above
        "message_template_quality_update",
        template_id=rival_created.json()["meta_id"],
        name="rival_offer",
        quality_score="GREEN",
    )

    await harness.publish(wrong_tenant)
    await harness.publish(sentinel)

    async def rival_green() -> bool:
        return any(
            t["quality_score"] == "GREEN" for t in await harness.listed(harness.rival.tenant_id)
        )

    await eventually(rival_green)
    [shop_template] = await harness.listed()
    assert (shop_template["status"], shop_template["quality_score"]) == ("PENDING", None)


# --- sending ----------------------------------------------------------------------------------


async def test_only_an_approved_template_with_matching_parameters_is_sent(harness: Harness) -> None:
    created = (await harness.create("new_offer")).json()
    customer = new_wa_id()
    attempts = await harness.graph_attempts()

    pending = harness.shop.outbound(customer, offer("Giulia", "Barbera"))
    await harness.publish(pending)
    row = await harness.settled(pending.data.outbound_id, "failed")
    assert (row.error_code, row.error_title) == (
        132001,
        "template new_offer (it) is PENDING, not approved",
    )

    await approve(harness, created["meta_id"])
    await harness.template_becomes("new_offer", status="APPROVED")
    missing = harness.shop.outbound(customer, offer("Giulia"))
    extra = harness.shop.outbound(customer, offer("Giulia", "Barbera", "12 €"))
    for outbound in (missing, extra):
        await harness.publish(outbound)
    missing_row = await harness.settled(missing.data.outbound_id, "failed")
    extra_row = await harness.settled(extra.data.outbound_id, "failed")
    assert missing_row.error_code == extra_row.error_code == 132000
    assert missing_row.error_title == (
        "template new_offer (it) parameters do not match: body needs 2 parameter(s), got 1"
    )
    assert extra_row.error_title is not None
    assert "got 3" in extra_row.error_title
    assert await harness.graph_attempts() == attempts, "nothing left for Meta"

    right = harness.shop.outbound(customer, offer("Giulia", "Barbera"))
    await harness.publish(right)
    await harness.settled(right.data.outbound_id, "accepted")
    [sent] = await harness.sent_to(customer)
    assert sent["body"]["template"]["name"] == "new_offer"


async def test_a_template_unknown_here_is_synced_once_then_sent_or_refused(
    harness: Harness,
) -> None:
    meta_id = await harness.register_at_meta("order_ready", [{"type": "BODY", "text": "Pronto."}])
    await harness.sandbox.put(f"/sandbox/templates/{meta_id}/status", json={"status": "APPROVED"})
    customer = new_wa_id()

    known_at_meta = harness.shop.outbound(
        customer, OutboundTemplate(name="order_ready", language_code="it", category="utility")
    )
    unknown = harness.shop.outbound(customer, offer("a", "b", name="does_not_exist"))
    await harness.publish(known_at_meta)
    await harness.publish(unknown)

    await harness.settled(known_at_meta.data.outbound_id, "accepted")
    row = await harness.settled(unknown.data.outbound_id, "failed")
    assert (row.error_code, row.error_title) == (
        132001,
        "template does_not_exist (it) does not exist for this number",
    )
    assert [item["name"] for item in await harness.listed()] == ["order_ready"]
    assert len(await harness.sent_to(customer)) == 1


# --- tenants ----------------------------------------------------------------------------------


async def test_another_tenant_neither_sees_nor_uses_the_shops_templates(harness: Harness) -> None:
    created = (await harness.create("new_offer")).json()
    rival_admin = bearer(harness.signer.operator(harness.rival.tenant_id, "admin"))

    peek = await harness.api.get(harness.path(), headers=rival_admin)
    by_id = await harness.api.get(f"{harness.path(harness.rival.tenant_id)}/{created['id']}")
    rival_list = await harness.listed(harness.rival.tenant_id)
    through_shop_number = await harness.create(
        "rival_offer", phone_number_id=harness.shop.phone_number_id
    )
    as_rival = await harness.api.post(
        harness.path(harness.rival.tenant_id),
        json={
            "phone_number_id": harness.shop.phone_number_id,
            "name": "rival_offer",
            "language": "it",
            "category": "marketing",
            "components": OFFER_COMPONENTS,
        },
    )

    assert peek.status_code == 404
    assert by_id.status_code == 404
    assert rival_list == []
    assert through_shop_number.status_code == 201  # the shop's own number: fine
    assert as_rival.status_code == 404
    assert as_rival.json()["title"] == "Channel not found"
    assert {t["name"] for t in await harness.at_meta()} == {"new_offer", "rival_offer"}
    assert await harness.at_meta(harness.rival) == []


async def test_a_viewer_reads_but_cannot_create(harness: Harness) -> None:
    viewer = bearer(harness.signer.operator(harness.shop.tenant_id, "viewer"))

    read = await harness.api.get(harness.path(), headers=viewer)
    write = await harness.api.post(
        harness.path(),
        headers=viewer,
        json={
            "phone_number_id": harness.shop.phone_number_id,
            "name": "x",
            "language": "it",
            "category": "utility",
            "components": [{"type": "BODY", "text": "x"}],
        },
    )

    assert read.status_code == 200
    assert write.status_code == 403
    assert await harness.at_meta() == []
