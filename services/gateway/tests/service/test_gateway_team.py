"""A tenant's team on real PostgreSQL and Kafka: owners list members, change roles and remove
people; admins may list but not change; the last owner can be neither demoted nor removed; a
removed member's refresh token stops working; another tenant's owner sees nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from services.gateway.tests.service.test_gateway_identity import (
    AGENT_PASSWORD,
    PLATFORM_EMAIL,
    PLATFORM_PASSWORD,
    bearer,
    login,
    new_tenant_with_owner,
)

pytestmark = pytest.mark.service


@pytest.fixture
async def gateway(make_gateway: Callable[..., Any]) -> AsyncIterator[Any]:
    async with make_gateway(
        platform_operator_email=PLATFORM_EMAIL, platform_bootstrap_password=PLATFORM_PASSWORD
    ) as running:
        yield running


async def join(gateway: Any, tenant: str, owner: dict[str, Any], email: str, role: str) -> str:
    invited = await gateway.client.post(
        f"/v1/tenants/{tenant}/invites",
        json={"email": email, "role": role},
        headers=bearer(owner["access_token"]),
    )
    assert invited.status_code == 201, invited.text
    joined = await gateway.client.post(
        "/v1/auth/invites/accept",
        json={"token": invited.json()["token"], "password": AGENT_PASSWORD},
    )
    assert joined.status_code == 201, joined.text
    operator_id: str = joined.json()["operator_id"]
    return operator_id


async def test_owner_lists_changes_and_removes_members(
    gateway: Any, unique: Callable[[str], str]
) -> None:
    tenant = unique("shop")
    owner = await new_tenant_with_owner(gateway, tenant, f"owner-{tenant}@shop.test")
    agent_email = f"agent-{tenant}@shop.test"
    agent_id = await join(gateway, tenant, owner, agent_email, "agent")
    auth = bearer(owner["access_token"])
    listed = await gateway.client.get(f"/v1/tenants/{tenant}/operators", headers=auth)
    assert listed.status_code == 200, listed.text
    assert [(m["email"], m["role"]) for m in listed.json()["items"]] == [
        (f"owner-{tenant}@shop.test", "owner"),
        (agent_email, "agent"),
    ]

    changed = await gateway.client.patch(
        f"/v1/tenants/{tenant}/operators/{agent_id}", json={"role": "viewer"}, headers=auth
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "viewer"
    session = await login(gateway, agent_email, AGENT_PASSWORD)
    assert session.json()["role"] == "viewer"

    removed = await gateway.client.delete(
        f"/v1/tenants/{tenant}/operators/{agent_id}", headers=auth
    )
    assert removed.status_code == 204
    refreshed = await gateway.client.post(
        "/v1/auth/refresh", json={"refresh_token": session.json()["refresh_token"]}
    )
    assert refreshed.status_code == 401
    listed = await gateway.client.get(f"/v1/tenants/{tenant}/operators", headers=auth)
    assert [m["role"] for m in listed.json()["items"]] == ["owner"]
    audit = await gateway.client.get(f"/v1/tenants/{tenant}/audit", headers=auth)
    actions = {entry["action"] for entry in audit.json()}
    assert {"operator.role_changed", "operator.removed"} <= actions


async def test_the_last_owner_stays_and_only_owners_change_roles(
    gateway: Any, unique: Callable[[str], str]
) -> None:
    tenant = unique("shop")
    owner = await new_tenant_with_owner(gateway, tenant, f"owner-{tenant}@shop.test")
    admin_email = f"admin-{tenant}@shop.test"
    admin_id = await join(gateway, tenant, owner, admin_email, "admin")
    admin = (await login(gateway, admin_email, AGENT_PASSWORD)).json()
    owner_id = owner["operator_id"]
    auth = bearer(owner["access_token"])

    demote = await gateway.client.patch(
        f"/v1/tenants/{tenant}/operators/{owner_id}", json={"role": "admin"}, headers=auth
    )
    assert demote.status_code == 409
    assert demote.headers["content-type"] == "application/problem+json"
    remove = await gateway.client.delete(f"/v1/tenants/{tenant}/operators/{owner_id}", headers=auth)
    assert remove.status_code == 409

    as_admin = bearer(admin["access_token"])
    assert (
        await gateway.client.get(f"/v1/tenants/{tenant}/operators", headers=as_admin)
    ).status_code == 200
    promote = await gateway.client.patch(
        f"/v1/tenants/{tenant}/operators/{admin_id}", json={"role": "owner"}, headers=as_admin
    )
    assert promote.status_code == 403
    kick = await gateway.client.delete(
        f"/v1/tenants/{tenant}/operators/{owner_id}", headers=as_admin
    )
    assert kick.status_code == 403

    # With a second owner, the first may step down.
    promoted = await gateway.client.patch(
        f"/v1/tenants/{tenant}/operators/{admin_id}", json={"role": "owner"}, headers=auth
    )
    assert promoted.status_code == 200
    stepped_down = await gateway.client.patch(
        f"/v1/tenants/{tenant}/operators/{owner_id}", json={"role": "admin"}, headers=auth
    )
    assert stepped_down.status_code == 200


async def test_another_tenants_owner_sees_and_changes_nothing(
    gateway: Any, unique: Callable[[str], str]
) -> None:
    tenant_a, tenant_b = unique("shop-a"), unique("shop-b")
    owner_a = await new_tenant_with_owner(gateway, tenant_a, f"owner-{tenant_a}@shop.test")
    owner_b = await new_tenant_with_owner(gateway, tenant_b, f"owner-{tenant_b}@shop.test")
    member = await join(gateway, tenant_a, owner_a, f"agent-{tenant_a}@shop.test", "agent")
    other = bearer(owner_b["access_token"])
    assert (
        await gateway.client.get(f"/v1/tenants/{tenant_a}/operators", headers=other)
    ).status_code == 404
    # B's owner addressing A's member through B's own tenant: not a member there.
    cross = await gateway.client.delete(f"/v1/tenants/{tenant_b}/operators/{member}", headers=other)
    assert cross.status_code == 404
    still = await gateway.client.get(
        f"/v1/tenants/{tenant_a}/operators", headers=bearer(owner_a["access_token"])
    )
    assert member in {m["operator_id"] for m in still.json()["items"]}
