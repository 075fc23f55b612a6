"""Cost of verifying one operator access token with the kit's verifier (µs per request).

Not part of `make bench`: run `uv run python services/gateway/bench/token_verify.py [--n 20000]`. It signs a
token the way the gateway does (Ed25519, `kid`) and verifies it repeatedly through
`TokenVerifier` with a warm JWKS cache, i.e. the per-request cost a service pays.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt

from bancone_gateway.adapters.signing_keys import SigningKeyring, generate_signing_key
from bancone_kit.auth import JwksCache, StaticJwks, TokenVerifier


def _token(ring: SigningKeyring) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": "bancone",
        "aud": "bancone",
        "sub": str(uuid.uuid4()),
        "kind": "operator",
        "tid": "demo",
        "role": "admin",
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + timedelta(minutes=15),
    }
    key = ring.current
    return jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": key.kid})


async def measure(n: int, rounds: int = 5) -> list[float]:
    ring = SigningKeyring([generate_signing_key()])
    verifier = TokenVerifier(JwksCache(StaticJwks(ring.jwks)), service="catalog")
    token = _token(ring)
    await verifier.verify(token)  # warm the JWKS cache
    per_round = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(n):
            await verifier.verify(token)
        per_round.append((time.perf_counter() - started) / n * 1e6)
    return per_round


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20_000, help="verifications per round")
    args = parser.parse_args()
    rounds = asyncio.run(measure(args.n))
    print("| verifications/round | rounds | median µs/token | min µs/token |")
    print("|---|---|---|---|")
    print(f"| {args.n} | {len(rounds)} | {statistics.median(rounds):.1f} | {min(rounds):.1f} |")


if __name__ == "__main__":
    main()
