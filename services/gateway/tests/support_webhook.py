"""Helpers of the gateway's webhook service tests: provision a channel, post a signed body,
read the events of one tenant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bancone_contracts.events import parse_event

PATH = "/webhooks/whatsapp"


@dataclass(frozen=True)
class Channel:
    tenant_id: str
    phone_number_id: str
    app_secret: str
    verify_token: str


async def provision(
    gateway: Any,
    tenant_id: str,
    phone_number_id: str,
    *,
    verify_token: str = "verify-me-123",  # noqa: S107 (a test token)
    app_secret: str | None = None,
    waba_id: str | None = None,
) -> Channel:
    secret = app_secret or f"app-secret-{phone_number_id}"
    channel = Channel(tenant_id, phone_number_id, secret, verify_token)
    response = await gateway.client.put(
        f"/v1/tenants/{tenant_id}", json={"name": "Enoteca Test"}, headers=gateway.admin
    )
    assert response.status_code in (200, 201), response.text
    response = await gateway.client.put(
        f"/v1/tenants/{tenant_id}/channels/{phone_number_id}",
        json={
            "verify_token": channel.verify_token,
            "app_secret": channel.app_secret,
            "access_token": "EAAG-test-access-token",
            **({"waba_id": waba_id} if waba_id else {}),
        },
        headers=gateway.admin,
    )
    assert response.status_code in (200, 201), response.text
    return channel


async def post(gateway: Any, body: bytes, signature: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return await gateway.client.post(PATH, content=body, headers=headers)


def events_of(records: list[Any], topic: str, tenant_id: str) -> list[Any]:
    events = [parse_event(topic, r.value) for r in records]
    return [e for e in events if e.tenant_id == tenant_id]
