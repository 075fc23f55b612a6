"""Secrets at rest and in transit: an AES-GCM box with a keyring for key rotation.

A sealed value names the key that sealed it (`kid:base64(nonce || ciphertext || tag)`), so a
keyring holding the current key plus older ones opens everything sealed before a rotation while
sealing only with the current key. The associated data (AAD) binds a ciphertext to where it
belongs (e.g. a channel's phone_number_id and the field name): copied to another row, it no
longer opens. The gateway seals channel secrets with its own keyring; the access token on
`bancone.channel.v1` is sealed with a channel keyring only the gateway and the notifier hold.

A keyring is configured as one secret string: comma-separated `kid:base64key` entries, the
first one current, e.g. `2025-11:q1w2...=,2025-01:a9s8...=` (keys are 32 random bytes).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")

DEV_SECRETS_KEYRING = "dev-rest:ZGV2LW9ubHktYXQtcmVzdC1rZXktbmV2ZXItcHJvZCE="
"""Fixed keyring for secrets at rest in local runs only. A setting declaring it as its default
refuses to load outside `dev`, like every default secret (`ServiceSettings`)."""

DEV_CHANNEL_KEYRING = "dev-channel:ZGV2LW9ubHktY2hhbm5lbC1rZXktbmV2ZXItcHJvZCE="
"""Fixed channel keyring (gateway and notifier) for local runs only; same rule as above."""

DEV_AGENT_KEYRING = "dev-agent:ZGV2LW9ubHktYWdlbnQtbGxtLWtleS1ub3QtcHJvZCE="
"""Fixed keyring sealing the agent's tenant LLM keys in local runs only; same rule as above."""

DEV_LINK_KEYRING = "dev-link:ZGV2LW9ubHktc2lnbmVkLWxpbmsta2V5LW5vLXByb2Q="
"""Fixed HMAC keyring of the gateway's signed customer links (invoices) in local runs only."""

DEV_KEYRINGS = (DEV_SECRETS_KEYRING, DEV_CHANNEL_KEYRING, DEV_AGENT_KEYRING, DEV_LINK_KEYRING)
"""Every committed dev keyring: outside dev a keyring holding any of their keys is refused."""


class SecretBoxError(ValueError):
    """A sealed value could not be opened: malformed, unknown key, tampered or wrong AAD."""


class KeyringError(ValueError):
    """A keyring specification is invalid."""


def generate_key() -> str:
    """A fresh random key, base64-encoded, for a keyring entry."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def _decode_key(key_id: str, encoded: str) -> bytes:
    try:
        key = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyringError(f"key {key_id!r} is not valid base64") from exc
    if len(key) != KEY_BYTES:
        raise KeyringError(f"key {key_id!r} must be {KEY_BYTES} bytes, not {len(key)}")
    return key


def _check_key_id(key_id: str) -> str:
    if not KEY_ID_PATTERN.fullmatch(key_id):
        raise KeyringError(f"key id {key_id!r} must match {KEY_ID_PATTERN.pattern}")
    return key_id


@dataclass(frozen=True)
class Keyring:
    """The current key (used to seal) and every key still accepted to open."""

    current_id: str
    keys: Mapping[str, bytes] = field(repr=False)

    def __post_init__(self) -> None:
        for key_id, key in self.keys.items():
            _check_key_id(key_id)
            if len(key) != KEY_BYTES:
                raise KeyringError(f"key {key_id!r} must be {KEY_BYTES} bytes")
        if self.current_id not in self.keys:
            raise KeyringError(f"current key {self.current_id!r} is not in the keyring")
        object.__setattr__(self, "keys", MappingProxyType(dict(self.keys)))

    @classmethod
    def parse(cls, spec: str | SecretStr) -> Keyring:
        """Read `kid:base64key[,kid:base64key...]`; the first entry is the current key."""
        text = spec.get_secret_value() if isinstance(spec, SecretStr) else spec
        keys: dict[str, bytes] = {}
        current: str | None = None
        for entry in (part.strip() for part in text.split(",")):
            if not entry:
                continue
            key_id, sep, encoded = entry.partition(":")
            if not sep:
                raise KeyringError("each keyring entry must be 'kid:base64key'")
            key_id = _check_key_id(key_id.strip())
            if key_id in keys:
                raise KeyringError(f"key id {key_id!r} appears twice")
            keys[key_id] = _decode_key(key_id, encoded)
            current = current or key_id
        if current is None:
            raise KeyringError("the keyring is empty")
        return cls(current, keys)


def dev_key_ids(spec: str | SecretStr) -> list[str]:
    """Ids of the keyring's entries whose key is one of the committed dev keys (whatever id it
    was given): a production keyring must have none."""
    dev_keys = {key for ring in DEV_KEYRINGS for key in Keyring.parse(ring).keys.values()}
    return [key_id for key_id, key in Keyring.parse(spec).keys.items() if key in dev_keys]


@dataclass(frozen=True)
class Sealed:
    """A ciphertext and the id of the key that made it, kept apart (e.g. in an event)."""

    key_id: str
    ciphertext: str
    """base64 of nonce || AES-GCM ciphertext || tag."""

    def compact(self) -> str:
        """The single-string form stored in a column: `kid:base64`."""
        return f"{self.key_id}:{self.ciphertext}"

    @classmethod
    def from_compact(cls, token: str) -> Sealed:
        key_id, sep, ciphertext = token.partition(":")
        if not sep or not KEY_ID_PATTERN.fullmatch(key_id) or not ciphertext:
            raise SecretBoxError("not a sealed value (expected 'kid:base64')")
        return cls(key_id, ciphertext)


class SecretBox:
    """Seals and opens UTF-8 strings with AES-256-GCM and a fresh random 96-bit nonce each time."""

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keyring.keys.items()}

    @property
    def current_key_id(self) -> str:
        return self._keyring.current_id

    def seal_parts(self, plaintext: str, aad: str) -> Sealed:
        """Encrypt with the current key, authenticating `aad` (which is not stored)."""
        nonce = os.urandom(NONCE_BYTES)
        cipher = self._ciphers[self._keyring.current_id]
        ciphertext = cipher.encrypt(nonce, plaintext.encode(), aad.encode())
        return Sealed(self._keyring.current_id, base64.b64encode(nonce + ciphertext).decode())

    def open_parts(self, sealed: Sealed, aad: str) -> str:
        """Decrypt; raises `SecretBoxError` for an unknown key, tampering or another `aad`."""
        cipher = self._ciphers.get(sealed.key_id)
        if cipher is None:
            raise SecretBoxError(f"sealed with unknown key {sealed.key_id!r}")
        try:
            blob = base64.b64decode(sealed.ciphertext, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SecretBoxError("sealed value is not valid base64") from exc
        if len(blob) < NONCE_BYTES + TAG_BYTES:
            raise SecretBoxError("sealed value is too short")
        try:
            plaintext = cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad.encode())
        except InvalidTag as exc:
            raise SecretBoxError(
                "sealed value does not open: tampered, or bound elsewhere"
            ) from exc
        return plaintext.decode()

    def seal(self, plaintext: str, aad: str) -> str:
        """Encrypt to the compact `kid:base64(nonce||ct)` form."""
        return self.seal_parts(plaintext, aad).compact()

    def open(self, token: str, aad: str) -> str:
        """Decrypt a compact token made by `seal` with the same `aad`."""
        return self.open_parts(Sealed.from_compact(token), aad)

    def is_current(self, token: str) -> bool:
        """Whether `token` is sealed with the current key (else re-seal it after a rotation)."""
        return Sealed.from_compact(token).key_id == self._keyring.current_id
