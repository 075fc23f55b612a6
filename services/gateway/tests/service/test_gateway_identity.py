"""Operator identity on real PostgreSQL and Kafka: the platform creates a tenant and its owner,
invites are accepted once, sessions rotate, reuse revokes, resets work, and the kit's verifier
accepts the gateway's tokens through the live JWKS."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import jwt
import pytest
from pydantic import SecretStr

from bancone_contracts.events import AuditRecorded, parse_event
from bancone_contracts.topics import AUDIT
from bancone_kit.auth import HttpJwks, InvalidTokenError, JwksCache, TokenVerifier
from bancone_kit.auth.service_tokens import ServiceTokenClient

pytestmark = pytest.mark.service

PLATFORM_EMAIL = "platform@bancone.test"
PLATFORM_PASSWORD = "Piattaforma-Vesuvio-Lampone-73"
OWNER_PASSWORD = "Cantina-Nebbiolo-Aurora-1961"
AGENT_PASSWORD = "Sommelier-Barolo-Gelsomino-44"
SERVICE_SECRET = "agent-service-secret-" + "x" * 16


@pytest.fixture
async def gateway(make_gateway: Callable[..., Any]) -> AsyncIterator[Any]:
    async with make_gateway(
        platform_operator_email=PLATFORM_EMAIL,
        platform_bootstrap_password=PLATFORM_PASSWORD,
        service_clients=f"agent:{SERVICE_SECRET}",
        login_max_failures_per_account=3,
    ) as running:
        yield running


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(gateway: Any, email: str, password: str, **extra: Any) -> httpx.Response:
    return await gateway.client.post(
        "/v1/auth/login", json={"email": email, "password": password, **extra}
    )


async def platform_token(gateway: Any) -> str:
    response = await login(gateway, PLATFORM_EMAIL, PLATFORM_PASSWORD)
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "platform"
    token: str = response.json()["access_token"]
    return token


async def new_tenant_with_owner(gateway: Any, tenant_id: str, email: str) -> dict[str, Any]:
    """Platform creates the tenant; the owner accepts the invite and logs in."""
    created = await gateway.client.post(
        "/v1/platform/tenants",
        json={"id": tenant_id, "name": "Enoteca", "owner_email": email},
        headers=bearer(await platform_token(gateway)),
    )
    assert created.status_code == 201, created.text
    invite = created.json()["owner_invite"]
    assert invite["url"].endswith(invite["token"].replace("=", "%3D"))
    accepted = await gateway.client.post(
        "/v1/auth/invites/accept", json={"token": invite["token"], "password": OWNER_PASSWORD}
    )
    assert accepted.status_code == 201, accepted.text
    session = await login(gateway, email, OWNER_PASSWORD)
    assert session.status_code == 200, session.text
    body: dict[str, Any] = session.json()
    assert (body["tenant_id"], body["role"]) == (tenant_id, "owner")
    return body


def verifier_against(gateway: Any, service: str = "gateway") -> TokenVerifier:
    """The kit's verifier as another service builds it: JWKS over HTTP from the live app."""
    jwks = HttpJwks("http://gateway/.well-known/jwks.json", client=gateway.client)
    return TokenVerifier(JwksCache(jwks, min_refresh_interval=0), service=service)


async def test_the_platform_creates_a_tenant_whose_owner_gets_tokens_the_kit_verifies(
    gateway: Any, unique: Callable[[str], str]
) -> None:
    tenant = unique("shop")
    session = await new_tenant_with_owner(gateway, tenant, f"owner-{tenant}@shop.test")
    jwks = await gateway.client.get("/.well-known/jwks.json")
    assert jwks.status_code == 200
    assert all("d" not in key for key in jwks.json()["keys"])
    principal = await verifier_against(gateway, "catalog").verify(session["access_token"])
    assert (principal.tenant_id, principal.role, principal.kind) == (tenant, "owner", "operator")


async def test_an_invite_is_accepted_once_and_a_weak_password_is_refused(
    gateway: Any, unique: Callable[[str], str]
) -> None:
    tenant = unique("shop")
    owner = await new_tenant_with_owner(gateway, tenant, f"owner-{tenant}@shop.test")
    invited = await gateway.client.post(
        f"/v1/tenants/{tenant}/invites",
        json={"email": f"agent-{tenant}@shop.test", "role": "agent"},
        headers=bearer(owner["access_token"]),
    )
    assert invited.status_code == 201, invited.text
    token = invited.json()["token"]
    weak = await gateway.client.post(
        "/v1/auth/invites/accept", json={"token": token, "password": "password123"}
    )
    assert weak.status_code == 422
    assert weak.headers["content-type"] == "application/problem+json"
    ok = await gateway.client.post(
        "/v1/auth/invites/accept", json={"token": token, "password": AGENT_PASSWORD}
    )
    assert ok.status_code == 201
    again = await gateway.client.post(
        "/v1/auth/invites/accept", json={"token": token, "password": AGENT_PASSWORD}
    )
    assert again.status_code == 400
    tampered = await gateway.client.post(
        "/v1/auth/invites/accept", json={"token": token[:-4] + "AAAA", "password": AGENT_PASSWORD}
    )
    assert tampered.status_code == 400
    agent = await login(gateway, f"agent-{tenant}@shop.test", AGENT_PASSWORD)
    assert agent.json()["role"] == "agent"
    denied = await gateway.client.post(
        f"/v1/tenants/{tenant}/invites",
        json={"email": "x@shop.test", "role": "viewer"},
        headers=bearer(agent.json()["access_token"]),
    )
    assert denied.status_code == 403


async def test_refresh_rotates_and_reusing_a_spent_token_revokes_the_family(
    gateway: Any, unique: Callable[[str], str]
) -> None:
    tenant = unique("shop")
    first = await new_tenant_with_owner(gateway, tenant, f"owner-{tenant}@shop.test")
    rotated = await gateway.client.post(
        "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    replay = await gateway.client.post(
        "/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert replay.status_code == 401
    after = await gateway.client.post(
        "/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}
    )
    assert after.status_code == 401, "the whole family is revoked after a reuse"
    revoked = await gateway.scalar(
        "SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NOT NULL"
    )
    assert revoked >= 2
    stored = await gateway.scalar(
        "SELECT count(*) FROM refresh_tokens WHERE token_hash = :t", t=second["refresh_token"]
    )
    assert stored == 0, "refresh tokens are stored hashed"


async def test_logout_ends_the_session(gateway: Any, unique: Callable[[str], str]) -> None:
    tenant = unique("shop")
    session = await new_tenant_with_owner(gateway, tenant, f"owner-{tenant}@shop.test")
    out = await gateway.client.post(
        "/v1/auth/logout", json={"refresh_token": session["refresh_token"]}
    )
    assert out.status_code == 204
    refused = await gateway.client.post(
        "/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert refused.status_code == 401


async def test_an_owner_resets_a_members_password_with_a_one_time_link(
    gateway: Any, unique: Callable[[str], str]
) -> None:
    tenant = unique("shop")
    owner = await new_tenant_with_owner(gateway, tenant, f"owner-{tenant}@shop.test")
    email = f"viewer-{tenant}@shop.test"
    invited = await gateway.client.post(
        f"/v1/tenants/{tenant}/invites",
        json={"email": email, "role": "viewer"},
        headers=bearer(owner["access_token"]),
    )
    joined = await gateway.client.post(
        "/v1/auth/invites/accept",
        json={"token": invited.json()["token"], "password": AGENT_PASSWORD},
    )
    operator_id = joined.json()["operator_id"]
    reset = await gateway.client.post(
        f"/v1/tenants/{tenant}/operators/{operator_id}/password-reset",
        headers=bearer(owner["access_token"]),
    )
    assert reset.status_code == 201, reset.text
    new_password = "Nuova-Vendemmia-Ciliegia-2027"
    done = await gateway.client.post(
        "/v1/auth/password-resets/complete",
        json={"token": reset.json()["token"], "password": new_password},
    )
    assert done.status_code == 204, done.text
    assert (await login(gateway, email, AGENT_PASSWORD)).status_code == 401
    assert (await login(gateway, email, new_password)).status_code == 200
    reuse = await gateway.client.post(
        "/v1/auth/password-resets/complete",
        json={"token": reset.json()["token"], "password": "Ancora-Unaltra-Volta-2028"},
    )
    assert reuse.status_code == 400


async def test_repeated_failures_lock_the_account_even_for_the_right_password(
    gateway: Any, unique: Callable[[str], str]
) -> None:
    tenant = unique("shop")
    email = f"owner-{tenant}@shop.test"
    await new_tenant_with_owner(gateway, tenant, email)
    for _ in range(3):
        assert (await login(gateway, email, "wrong-password-guess")).status_code == 401
    locked = await login(gateway, email, OWNER_PASSWORD)
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    assert locked.headers["content-type"] == "application/problem+json"


async def test_another_tenants_owner_gets_404_and_a_viewer_gets_403_on_the_audit_log(
    gateway: Any, unique: Callable[[str], str]
) -> None:
    tenant_a, tenant_b = unique("shop-a"), unique("shop-b")
    owner_a = await new_tenant_with_owner(gateway, tenant_a, f"owner-{tenant_a}@shop.test")
    owner_b = await new_tenant_with_owner(gateway, tenant_b, f"owner-{tenant_b}@shop.test")
    mine = await gateway.client.get(
        f"/v1/tenants/{tenant_a}/audit", headers=bearer(owner_a["access_token"])
    )
    assert mine.status_code == 200
    actions = {entry["action"] for entry in mine.json()}
    assert {"tenant.created", "operator.invited", "operator.joined", "session.login"} <= actions
    theirs = await gateway.client.get(
        f"/v1/tenants/{tenant_a}/audit", headers=bearer(owner_b["access_token"])
    )
    assert theirs.status_code == 404
    anonymous = await gateway.client.get(f"/v1/tenants/{tenant_a}/audit")
    assert anonymous.status_code == 401


async def test_audit_events_are_published_on_the_audit_topic(
    gateway: Any, unique: Callable[[str], str], topic_window: Callable[[str], Any]
) -> None:
    window = await topic_window(AUDIT)
    tenant = unique("shop")
    await new_tenant_with_owner(gateway, tenant, f"owner-{tenant}@shop.test")

    def audit_of_tenant(records: list[Any]) -> list[AuditRecorded]:
        events = [parse_event(AUDIT, r.value) for r in records if r.key == tenant.encode()]
        return [e for e in events if isinstance(e, AuditRecorded)]

    records = await window.read_until(
        lambda rs: (
            {"tenant.created", "operator.joined", "session.login"}
            <= {e.data.action for e in audit_of_tenant(rs)}
        )
    )
    joined = next(e for e in audit_of_tenant(records) if e.data.action == "operator.joined")
    assert joined.data.actor_kind == "operator"
    assert joined.data.role == "owner"
    assert b"Cantina-Nebbiolo" not in b"".join(r.value for r in records)


async def test_a_service_gets_a_tenant_scoped_token_that_only_its_callee_accepts(
    gateway: Any, unique: Callable[[str], str]
) -> None:
    tenant = unique("shop")
    await new_tenant_with_owner(gateway, tenant, f"owner-{tenant}@shop.test")
    client = ServiceTokenClient(
        "http://gateway", "agent", SecretStr(SERVICE_SECRET), client=gateway.client
    )
    token = await client.token(tenant, "catalog")
    assert await client.token(tenant, "catalog") == token
    assert client.mints == 1, "the token is cached until near its expiry"
    principal = await verifier_against(gateway, "catalog").verify(token)
    assert (principal.kind, principal.subject, principal.tenant_id) == (
        "service",
        "service:agent",
        tenant,
    )
    with pytest.raises(InvalidTokenError):
        await verifier_against(gateway, "ingest").verify(token)
    wrong = ServiceTokenClient(
        "http://gateway", "agent", SecretStr("wrong-secret-" + "y" * 20), client=gateway.client
    )
    with pytest.raises(httpx.HTTPStatusError):
        await wrong.token(tenant, "catalog")


async def test_a_rotated_key_is_published_at_once_and_the_old_key_signs_until_it_activates(
    gateway: Any, unique: Callable[[str], str]
) -> None:
    tenant = unique("shop")
    email = f"owner-{tenant}@shop.test"
    before = await new_tenant_with_owner(gateway, tenant, email)
    old_kid = jwt.get_unverified_header(before["access_token"])["kid"]
    rotated = await gateway.client.post(
        "/v1/platform/signing-keys/rotate", headers=bearer(await platform_token(gateway))
    )
    assert rotated.status_code == 201, rotated.text
    new_kid = rotated.json()["kid"]
    published = (await gateway.client.get("/.well-known/jwks.json")).json()
    assert {new_kid, old_kid} <= {key["kid"] for key in published["keys"]}
    after = (await login(gateway, email, OWNER_PASSWORD)).json()
    assert jwt.get_unverified_header(after["access_token"])["kid"] == old_kid
    verifier = verifier_against(gateway)
    await verifier.verify(before["access_token"])
    await verifier.verify(after["access_token"])
    audit = await gateway.client.get(
        f"/v1/tenants/{tenant}/audit", headers=bearer(after["access_token"])
    )
    assert audit.status_code == 200


async def test_the_retired_static_admin_token_provisions_nothing_the_platform_does(
    gateway: Any, unique: Callable[[str], str]
) -> None:
    tenant = unique("legacy")
    body = {"id": tenant, "name": "Legacy"}
    legacy = await gateway.client.post("/v1/tenants", json=body, headers=bearer("dev-admin-token"))
    assert legacy.status_code == 401
    response = await gateway.client.post("/v1/tenants", json=body, headers=gateway.admin)
    assert response.status_code == 201
