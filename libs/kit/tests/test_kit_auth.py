"""The kit's token verifier and route guards, against tokens signed like the gateway signs them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI

from bancone_kit.auth import InvalidTokenError, JwksCache, Principal, StaticJwks, TokenVerifier
from bancone_kit.auth.claims import ROLES, role_allows, service_audience
from bancone_kit.auth.dependencies import require_platform, require_role
from bancone_kit.http.app import create_app
from bancone_kit.settings import ServiceSettings
from bancone_kit.testing.tokens import TokenSigner

pytestmark = pytest.mark.unit


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner()


def verifier_for(signer: TokenSigner, service: str = "catalog", **cache: Any) -> TokenVerifier:
    return TokenVerifier(JwksCache(StaticJwks(signer.jwks), **cache), service=service)


async def test_a_valid_operator_token_becomes_a_principal(signer: TokenSigner) -> None:
    principal = await verifier_for(signer).verify(signer.token())
    assert (principal.kind, principal.subject, principal.tenant_id, principal.role) == (
        "operator",
        "op-1",
        "shop-a",
        "admin",
    )
    assert principal.expires_at > datetime.now(UTC)


@pytest.mark.parametrize(
    "claims",
    [
        {"ttl": -120},
        {"iss": "someone-else"},
        {"aud": "another-audience"},
        {"kind": "robot"},
        {"role": None},
        {"tid": None},
    ],
    ids=["expired", "issuer", "audience", "kind", "no-role", "no-tenant"],
)
async def test_tokens_failing_a_claim_check_are_rejected(
    signer: TokenSigner, claims: dict[str, Any]
) -> None:
    token = signer.token(**{k: v for k, v in claims.items() if v is not None})
    if any(v is None for v in claims.values()):
        payload = jwt.decode(token, options={"verify_signature": False})
        for name in [k for k, v in claims.items() if v is None]:
            payload.pop(name)
        token = jwt.encode(payload, signer.keys[signer.current], "EdDSA", {"kid": signer.current})
    with pytest.raises(InvalidTokenError):
        await verifier_for(signer).verify(token)


async def test_a_tampered_token_is_rejected(signer: TokenSigner) -> None:
    header, payload, signature = signer.token(role="viewer").split(".")
    forged = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(b"viewer", b"owner\x20")
    ).decode()
    with pytest.raises(InvalidTokenError):
        await verifier_for(signer).verify(f"{header}.{forged}.{signature}")


async def test_an_unsigned_or_hmac_token_is_rejected(signer: TokenSigner) -> None:
    claims = jwt.decode(signer.token(), options={"verify_signature": False})
    none_alg = jwt.encode(claims, None, algorithm="none", headers={"kid": signer.current})
    hmac = jwt.encode(claims, "k" * 32, algorithm="HS256", headers={"kid": signer.current})
    for token in (none_alg, hmac, "not-a-jwt"):
        with pytest.raises(InvalidTokenError):
            await verifier_for(signer).verify(token)


async def test_a_service_token_is_accepted_only_by_the_service_it_names(
    signer: TokenSigner,
) -> None:
    token = signer.token(sub="service:agent", kind="service", aud=service_audience("catalog"))
    principal = await verifier_for(signer, "catalog").verify(token)
    assert principal.is_service
    assert principal.tenant_id == "shop-a"
    with pytest.raises(InvalidTokenError):
        await verifier_for(signer, "ingest").verify(token)


async def test_a_rotated_key_is_fetched_on_its_first_token_and_old_tokens_still_verify(
    signer: TokenSigner,
) -> None:
    verifier = verifier_for(signer, min_refresh_interval=0)
    old = signer.token()
    await verifier.verify(old)
    signer.rotate()
    await verifier.verify(signer.token())
    await verifier.verify(old)


async def test_unknown_kids_refresh_the_jwks_at_most_once_per_interval(signer: TokenSigner) -> None:
    clock = FakeClock()
    cache = JwksCache(StaticJwks(signer.jwks), min_refresh_interval=30, clock=clock)
    verifier = TokenVerifier(cache, service="catalog")
    await verifier.verify(signer.token())
    assert cache.fetches == 1
    stranger = TokenSigner(prefix="stranger")
    for _ in range(50):
        with pytest.raises(InvalidTokenError):
            await verifier.verify(stranger.token())
    assert cache.fetches == 1, "an unknown kid within the interval must not refetch"
    clock.now += 31
    with pytest.raises(InvalidTokenError):
        await verifier.verify(stranger.token())
    assert cache.fetches == 2


async def test_verification_fails_closed_when_no_jwks_can_be_fetched(signer: TokenSigner) -> None:
    async def unreachable() -> dict[str, Any]:
        raise httpx.ConnectError("gateway down")

    verifier = TokenVerifier(JwksCache(StaticJwks(unreachable)), service="catalog")
    with pytest.raises(InvalidTokenError):
        await verifier.verify(signer.token())


def test_roles_are_ordered_viewer_agent_admin_owner() -> None:
    assert ROLES == ("viewer", "agent", "admin", "owner")
    assert role_allows("owner", "admin")
    assert not role_allows("agent", "admin")
    assert not role_allows("platform", "viewer")


Admin = Annotated[Principal, Depends(require_role("admin"))]
Reader = Annotated[Principal, Depends(require_role("viewer", allow_service=True))]
Platform = Annotated[Principal, Depends(require_platform())]


def guarded_app(signer: TokenSigner) -> FastAPI:
    app = create_app("guarded", ServiceSettings(service_name="guarded"))
    app.state.token_verifier = verifier_for(signer, service="guarded")

    @app.post("/v1/tenants/{tenant_id}/things")
    async def write(tenant_id: str, principal: Admin) -> dict[str, str]:
        return {"by": principal.subject}

    @app.get("/v1/tenants/{tenant_id}/things")
    async def read(tenant_id: str, principal: Reader) -> dict[str, str]:
        return {"by": principal.subject}

    @app.post("/v1/platform/things")
    async def platform(principal: Platform) -> dict[str, str]:
        return {"by": principal.subject}

    return app


@pytest.fixture
async def guarded(signer: TokenSigner) -> Any:
    transport = httpx.ASGITransport(app=guarded_app(signer))
    async with httpx.AsyncClient(transport=transport, base_url="http://guarded") as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_require_role_answers_401_403_404_as_problems(
    guarded: Any, signer: TokenSigner
) -> None:
    url = "/v1/tenants/shop-a/things"
    cases = [
        ({}, 401),
        (bearer("garbage"), 401),
        (bearer(signer.token(ttl=-120)), 401),
        (bearer(signer.token(role="viewer")), 403),
        (bearer(signer.token(tid="shop-b", role="owner")), 404),
        (bearer(signer.token(role="platform", tid=None)), 403),
        (bearer(signer.token(role="admin")), 200),
    ]
    for headers, expected in cases:
        response = await guarded.post(url, headers=headers)
        assert response.status_code == expected, (headers, response.text)
        if expected != 200:
            assert response.headers["content-type"] == "application/problem+json"
    unauthenticated = await guarded.post(url)
    assert unauthenticated.headers["www-authenticate"] == "Bearer"


async def test_service_tokens_pass_only_where_allowed_and_only_for_their_tenant(
    guarded: Any, signer: TokenSigner
) -> None:
    token = signer.token(sub="service:agent", kind="service", aud=service_audience("guarded"))
    read = await guarded.get("/v1/tenants/shop-a/things", headers=bearer(token))
    assert read.status_code == 200
    other = await guarded.get("/v1/tenants/shop-b/things", headers=bearer(token))
    assert other.status_code == 404
    write = await guarded.post("/v1/tenants/shop-a/things", headers=bearer(token))
    assert write.status_code == 403


async def test_require_platform_admits_only_platform_operators(
    guarded: Any, signer: TokenSigner
) -> None:
    platform = signer.token(role="platform")
    assert (await guarded.post("/v1/platform/things", headers=bearer(platform))).status_code == 200
    owner = signer.token(role="owner")
    assert (await guarded.post("/v1/platform/things", headers=bearer(owner))).status_code == 403
