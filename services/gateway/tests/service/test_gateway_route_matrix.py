"""Role by route on the live gateway (real PostgreSQL and Kafka): a viewer cannot write or read
the audit, an owner of tenant A gets 404 on every route of tenant B (as if it did not exist)
and 403 on the platform's routes, and nothing is changed by a refused request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from services.gateway.tests.service.test_gateway_identity import (
    PLATFORM_EMAIL,
    PLATFORM_PASSWORD,
    SERVICE_SECRET,
    bearer,
    login,
    new_tenant_with_owner,
)

pytestmark = pytest.mark.service

VIEWER_PASSWORD = "Degustazione-Verdicchio-Nespola-58"
CHANNEL = {"verify_token": "v" * 24, "app_secret": "a" * 32, "access_token": "t" * 48}


@pytest.fixture
async def gateway(make_gateway: Callable[..., Any]) -> AsyncIterator[Any]:
    async with make_gateway(
        platform_operator_email=PLATFORM_EMAIL,
        platform_bootstrap_password=PLATFORM_PASSWORD,
        service_clients=f"agent:{SERVICE_SECRET}",
    ) as running:
        yield running


async def viewer_of(gateway: Any, tenant_id: str, owner_token: str) -> str:
    email = f"viewer@{tenant_id}.example"
    invite = await gateway.client.post(
        f"/v1/tenants/{tenant_id}/invites",
        json={"email": email, "role": "viewer"},
        headers=bearer(owner_token),
    )
    assert invite.status_code == 201, invite.text
    accepted = await gateway.client.post(
        "/v1/auth/invites/accept",
        json={"token": invite.json()["token"], "password": VIEWER_PASSWORD},
    )
    assert accepted.status_code == 201, accepted.text
    session = await login(gateway, email, VIEWER_PASSWORD)
    token: str = session.json()["access_token"]
    return token


async def test_roles_and_tenants_on_every_kind_of_gateway_route(
    gateway: Any, unique: Callable[[str], str]
) -> None:
    a, b = unique("matrix-a"), unique("matrix-b")
    owner_a = (await new_tenant_with_owner(gateway, a, f"owner@{a}.example"))["access_token"]
    owner_b = (await new_tenant_with_owner(gateway, b, f"owner@{b}.example"))["access_token"]
    viewer_a = await viewer_of(gateway, a, owner_a)
    phone = unique("pn")

    def call(method: str, path: str, token: str, **kwargs: Any) -> Any:
        return gateway.client.request(method, path, headers=bearer(token), **kwargs)

    invite = {"json": {"email": "x@example.com", "role": "agent"}}
    expected = [
        # viewer of A: reads its tenant, writes nothing, no audit
        ("GET", f"/v1/tenants/{a}", viewer_a, {}, 200),
        ("POST", f"/v1/tenants/{a}/invites", viewer_a, invite, 403),
        ("GET", f"/v1/tenants/{a}/audit", viewer_a, {}, 403),
        ("PUT", f"/v1/tenants/{a}/channels/{phone}", viewer_a, {"json": CHANNEL}, 403),
        ("GET", f"/v1/tenants/{a}/channels", viewer_a, {}, 403),
        # owner of A on tenant B: 404 everywhere
        ("GET", f"/v1/tenants/{b}", owner_a, {}, 404),
        ("POST", f"/v1/tenants/{b}/invites", owner_a, invite, 404),
        ("GET", f"/v1/tenants/{b}/audit", owner_a, {}, 404),
        ("PUT", f"/v1/tenants/{b}/channels/{phone}", owner_a, {"json": CHANNEL}, 404),
        ("GET", f"/v1/tenants/{b}/channels/{phone}", owner_a, {}, 404),
        ("GET", f"/v1/tenants/{b}/channels", owner_a, {}, 404),
        ("DELETE", f"/v1/tenants/{b}/channels/{phone}", owner_a, {}, 404),
        # owner of A: no platform routes
        ("POST", "/v1/tenants", owner_a, {"json": {"id": unique("x"), "name": "X"}}, 403),
        ("PUT", f"/v1/tenants/{b}", owner_a, {"json": {"name": "Hijacked"}}, 403),
        ("POST", "/v1/platform/signing-keys/rotate", owner_a, {}, 403),
        # owner of A in A: configures its channel
        ("PUT", f"/v1/tenants/{a}/channels/{phone}", owner_a, {"json": CHANNEL}, 201),
        ("GET", f"/v1/tenants/{a}/channels", owner_a, {}, 200),
    ]
    answered = []
    for method, path, token, kwargs, _ in expected:
        response = await call(method, path, token, **kwargs)
        answered.append(response.status_code)
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
    assert answered == [status for *_, status in expected]

    tenant_b = await call("GET", f"/v1/tenants/{b}", owner_b)
    assert tenant_b.json()["name"] == "Enoteca", "nothing refused changed tenant B"
    channel_b = await call("GET", f"/v1/tenants/{b}/channels/{phone}", owner_b)
    assert channel_b.status_code == 404, "A's channel attempt on B left nothing"
    listed_a = (await call("GET", f"/v1/tenants/{a}/channels", owner_a)).json()["items"]
    listed_b = (await call("GET", f"/v1/tenants/{b}/channels", owner_b)).json()["items"]
    assert [(c["phone_number_id"], c["status"]) for c in listed_a] == [(phone, "active")]
    assert listed_b == []
