"""Login throttling and the signing keyring, in process (no database, no network)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from bancone_gateway.adapters.login_throttle import LoginLimits, LoginLockedError, LoginThrottle
from bancone_gateway.adapters.password_hashing import PasswordHashing
from bancone_gateway.adapters.signing_keys import SigningKeyring, generate_signing_key
from bancone_kit.auth import InvalidTokenError, JwksCache, StaticJwks, TokenVerifier

pytestmark = pytest.mark.unit


async def test_an_account_is_locked_after_its_failure_budget_even_with_the_right_password() -> None:
    throttle = LoginThrottle(LoginLimits(per_account=3, per_ip=100, window_seconds=600))
    for _ in range(3):
        await throttle.check("ada@shop.it", "203.0.113.7")
        await throttle.failed("ada@shop.it", "203.0.113.7")
    with pytest.raises(LoginLockedError) as locked:
        await throttle.check("ada@shop.it", "198.51.100.1")
    assert 0 < locked.value.retry_after <= 600
    await throttle.check("luca@shop.it", "198.51.100.1")


async def test_one_ip_guessing_many_accounts_is_locked_out() -> None:
    throttle = LoginThrottle(LoginLimits(per_account=100, per_ip=4, window_seconds=600))
    for n in range(4):
        await throttle.failed(f"user{n}@shop.it", "203.0.113.9")
    with pytest.raises(LoginLockedError):
        await throttle.check("fresh@shop.it", "203.0.113.9")
    await throttle.check("fresh@shop.it", "203.0.113.10")


async def test_a_successful_login_clears_the_accounts_failures() -> None:
    throttle = LoginThrottle(LoginLimits(per_account=2, per_ip=100, window_seconds=600))
    await throttle.failed("ada@shop.it", None)
    await throttle.succeeded("ada@shop.it")
    await throttle.failed("ada@shop.it", None)
    await throttle.check("ada@shop.it", None)


async def test_argon2_hashes_verify_only_the_same_password() -> None:
    hashing = PasswordHashing()
    stored = await hashing.hash("Tramonto-sul-Lago-1987")
    assert stored.startswith("$argon2id$")
    assert await hashing.verify(stored, "Tramonto-sul-Lago-1987")
    assert not await hashing.verify(stored, "tramonto-sul-lago-1987")
    assert not await hashing.verify(None, "anything")


def _sign(ring: SigningKeyring, **claims: object) -> str:
    key = ring.current
    payload = {
        "iss": "bancone",
        "aud": "bancone",
        "sub": "op",
        "kind": "operator",
        "tid": "shop",
        "role": "owner",
        "jti": "j",
        "iat": int(time.time()) - 60,
        "exp": int(time.time()) + 600,
        **claims,
    }
    return jwt.encode(payload, key.private_key, algorithm="EdDSA", headers={"kid": key.kid})


async def test_after_rotation_the_new_key_signs_and_old_tokens_verify_until_retired() -> None:
    ring = SigningKeyring([generate_signing_key()])
    holder = {"ring": ring}
    verifier = TokenVerifier(
        JwksCache(StaticJwks(lambda: holder["ring"].jwks()), min_refresh_interval=0),
        service="gateway",
    )
    old_token = _sign(ring)
    old_kid = ring.current.kid
    rotated = ring.rotated(generate_signing_key())
    holder["ring"] = rotated
    assert rotated.current.kid != old_kid
    assert jwt.get_unverified_header(_sign(rotated))["kid"] == rotated.current.kid
    await verifier.verify(_sign(rotated))
    await verifier.verify(old_token)
    holder["ring"] = rotated.without(old_kid)
    fresh = TokenVerifier(JwksCache(StaticJwks(holder["ring"].jwks)), service="gateway")
    with pytest.raises(InvalidTokenError):
        await fresh.verify(old_token)


def test_a_rotated_key_signs_only_after_the_activation_delay() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    first = generate_signing_key(start)
    ring = SigningKeyring([first], activation=timedelta(seconds=90))
    assert ring.signing_key(start).kid == first.kid  # the only key signs at once
    second = generate_signing_key(start + timedelta(hours=1))
    ring = ring.rotated(second)
    assert {key["kid"] for key in ring.jwks()["keys"]} == {first.kid, second.kid}
    assert ring.signing_key(second.created_at + timedelta(seconds=89)).kid == first.kid
    assert ring.signing_key(second.created_at + timedelta(seconds=90)).kid == second.kid


def test_the_jwks_publishes_public_halves_only() -> None:
    jwks = SigningKeyring([generate_signing_key(), generate_signing_key()]).jwks()
    assert len(jwks["keys"]) == 2
    for key in jwks["keys"]:
        assert key["kty"] == "OKP"
        assert key["crv"] == "Ed25519"
        assert key["alg"] == "EdDSA"
        assert "d" not in key
