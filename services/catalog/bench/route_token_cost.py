"""Token verification cost per request on a real route: the catalog's `GET …/faqs/{id}`.

Not part of `make bench`: run `uv run python services/catalog/bench/route_token_cost.py
[--n 2000]`. The catalog app is built as in production (router, problem table, guards) over a
migrated SQLite file; requests go through the ASGI stack in-process (no socket, so the number
is the app's own work). Alternating blocks time the route twice, with the guard as deployed
(Ed25519 token verified locally with a warm JWKS cache, tenant and role checked) and with the
guard replaced by a no-op through FastAPI's `dependency_overrides`; the difference is what the
check costs a request. Prints a table (medians over blocks, µs per request).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from jwt.algorithms import OKPAlgorithm

from bancone_catalog.entrypoints.http import build_http_app
from bancone_catalog.settings import CatalogSettings
from bancone_kit.auth import JwksCache, StaticJwks, TokenVerifier
from bancone_kit.auth.dependencies import current_principal
from bancone_kit.auth.principal import Principal
from bancone_kit.db import create_engine, session_factory
from bancone_kit.db.migrations import upgrade_database


class _Signer:
    """Signs like the gateway (Ed25519, `kid`); a bench is running code, so it takes nothing
    from the kit's test support."""

    def __init__(self) -> None:
        self._key = Ed25519PrivateKey.generate()

    def jwks(self) -> dict[str, Any]:
        jwk = OKPAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": "bench", "alg": "EdDSA", "use": "sig"}]}

    def bearer(self, tenant_id: str, role: str) -> dict[str, str]:
        now = datetime.now(UTC)
        claims = {
            "iss": "bancone",
            "aud": "bancone",
            "sub": "op-bench",
            "kind": "operator",
            "tid": tenant_id,
            "role": role,
            "jti": str(uuid.uuid4()),
            "iat": now,
            "exp": now + timedelta(hours=1),
        }
        token = jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": "bench"})
        return {"Authorization": f"Bearer {token}"}


BLOCK = 20
"""Requests per timed block; the variants alternate block by block."""


async def _timed(client: httpx.AsyncClient, path: str, headers: dict[str, str], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, response.text
    return (time.perf_counter() - start) / n * 1e6


async def measure(n: int, rounds: int) -> tuple[list[float], list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'catalog.sqlite'}"
        await upgrade_database(url, "bancone_catalog.migrations")
        engine = create_engine(url)
        signer = _Signer()
        settings = CatalogSettings(environment="dev", database_url=url, log_level="WARNING")
        app: FastAPI = build_http_app(settings, [])
        app.state.token_verifier = TokenVerifier(
            JwksCache(StaticJwks(signer.jwks)), service="catalog"
        )
        app.state.session_factory = session_factory(engine)
        admin = signer.bearer("demo", "admin")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://catalog") as client:
            created = await client.post(
                "/v1/tenants/demo/faqs",
                json={"key": "ship", "question": "Spedite?", "answer": "Sì"},
                headers=admin,
            )
            path = f"/v1/tenants/demo/faqs/{created.json()['id']}"
            viewer = signer.bearer("demo", "viewer")
            principal = Principal("operator", "op", "demo", "viewer", "jti", datetime.now(UTC))
            await _timed(client, path, viewer, 50)  # warm the JWKS cache and the connection pool
            guarded, open_ = [], []
            # Short alternating blocks, so a busy machine slows both variants alike.
            for _ in range(rounds * max(1, n // BLOCK)):
                app.dependency_overrides.clear()
                guarded.append(await _timed(client, path, viewer, BLOCK))
                app.dependency_overrides[current_principal] = lambda: principal
                open_.append(await _timed(client, path, {}, BLOCK))
            app.dependency_overrides.clear()
        await engine.dispose()
    return guarded, open_


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="requests per round and variant")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    guarded, open_ = asyncio.run(measure(args.n, args.rounds))
    g, o = statistics.median(guarded), statistics.median(open_)
    paired = statistics.median(a - b for a, b in zip(guarded, open_, strict=True))
    print("| GET /v1/tenants/{tenant_id}/faqs/{faq_id} | µs per request (median of blocks) |")
    print("|---|---|")
    print(f"| with the token guard (verify + tenant + role) | {g:.0f} |")
    print(f"| guard overridden (no verification) | {o:.0f} |")
    print(f"| token verification cost (median of paired block differences) | {paired:.0f} |")


if __name__ == "__main__":
    main()
