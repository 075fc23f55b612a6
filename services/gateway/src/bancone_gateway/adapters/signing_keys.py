"""The keyring that signs tokens: Ed25519 keys in the database, private halves sealed.

Every unretired key verifies and is published in the JWKS. A key signs only once it is older
than the activation delay (the newest such key signs; with none old enough, the oldest): a
rotated key is published first and used later, so every verifier's cached JWKS (replica reload
plus the verifiers' refresh interval) already knows its `kid` when the first token carries it.
Tokens signed by the previous key stay valid until they expire and the key is `retire()`d. Private keys are sealed with the gateway's at-rest `SecretBox` (AAD binds each to
its `kid`). Each replica reloads the keyring from the database every `reload_seconds`, so a
rotation made on one replica reaches the others without a restart.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_gateway.adapters.identity_tables import SigningKeyRecord
from bancone_kit.auth.claims import ALGORITHM
from bancone_kit.crypto import SecretBox


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey = field(repr=False)
    created_at: datetime

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = OKPAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}


def generate_signing_key(now: datetime | None = None) -> SigningKey:
    created = now or datetime.now(UTC)
    kid = f"{created:%Y%m%d}-{secrets.token_hex(4)}"
    return SigningKey(kid, Ed25519PrivateKey.generate(), created)


class SigningKeyring:
    """Keys ordered newest first; the newest one older than `activation` signs."""

    def __init__(self, keys: Sequence[SigningKey], activation: timedelta = timedelta(0)) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        self._keys = sorted(keys, key=lambda key: (key.created_at, key.kid), reverse=True)
        self._by_kid = {key.kid: key for key in self._keys}
        self._activation = activation

    def signing_key(self, now: datetime) -> SigningKey:
        """The key that signs at `now`: the newest active one, else (all too new) the oldest."""
        for key in self._keys:
            if key.created_at + self._activation <= now:
                return key
        return self._keys[-1]

    @property
    def current(self) -> SigningKey:
        return self.signing_key(datetime.now(UTC))

    def get(self, kid: str) -> SigningKey | None:
        return self._by_kid.get(kid)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk() for key in self._keys]}

    def rotated(self, new_key: SigningKey) -> SigningKeyring:
        return SigningKeyring([new_key, *self._keys], self._activation)

    def without(self, kid: str) -> SigningKeyring:
        return SigningKeyring([key for key in self._keys if key.kid != kid], self._activation)


def _aad(kid: str) -> str:
    return f"signing-key:{kid}"


def _seal(key: SigningKey, box: SecretBox) -> SigningKeyRecord:
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return SigningKeyRecord(
        kid=key.kid,
        private_key_sealed=box.seal(pem, _aad(key.kid)),
        public_jwk=json.dumps(key.public_jwk()),
        created_at=key.created_at,
    )


def _open(record: SigningKeyRecord, box: SecretBox) -> SigningKey:
    pem = box.open(record.private_key_sealed, _aad(record.kid)).encode()
    private = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise ValueError(f"signing key {record.kid!r} is not Ed25519")
    return SigningKey(record.kid, private, record.created_at)


class SigningKeyStore:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        box: SecretBox,
        reload_seconds: float = 30.0,
        activation_seconds: float = 0.0,
    ) -> None:
        self._sessions = sessions
        self._box = box
        self._reload = reload_seconds
        self._activation = timedelta(seconds=activation_seconds)
        self._ring: SigningKeyring | None = None
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    async def keyring(self) -> SigningKeyring:
        if self._ring is None or time.monotonic() - self._loaded_at >= self._reload:
            async with self._lock:
                if self._ring is None or time.monotonic() - self._loaded_at >= self._reload:
                    await self._load()
        assert self._ring is not None
        return self._ring

    async def jwks(self) -> Mapping[str, Any]:
        return (await self.keyring()).jwks()

    async def _load(self) -> None:
        async with self._sessions() as session:
            query = select(SigningKeyRecord).where(col(SigningKeyRecord.retired_at).is_(None))
            rows = (await session.exec(query)).all()
        keys = [_open(row, self._box) for row in rows]
        if not keys:
            key = generate_signing_key()
            async with self._sessions() as session, session.begin():
                session.add(_seal(key, self._box))
            keys = [key]
        self._ring = SigningKeyring(keys, self._activation)
        self._loaded_at = time.monotonic()

    async def rotate(self) -> SigningKey:
        """A new key, published at once, signing once the activation delay has passed; the old
        ones keep verifying until retired."""
        key = generate_signing_key()
        async with self._sessions() as session, session.begin():
            session.add(_seal(key, self._box))
        async with self._lock:
            await self._load()
        return key

    async def retire(self, kid: str) -> bool:
        """Stop verifying tokens signed by `kid` (never the current key); whether it was live."""
        ring = await self.keyring()
        if ring.current.kid == kid:
            raise ValueError("the current signing key cannot be retired; rotate first")
        async with self._sessions() as session, session.begin():
            record = await session.get(SigningKeyRecord, kid)
            if record is None or record.retired_at is not None:
                return False
            record.retired_at = datetime.now(UTC)
        async with self._lock:
            await self._load()
        return True
