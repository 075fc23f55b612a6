"""The AES-GCM secret box: round trips, AAD binding, tampering, key rotation, keyring parsing."""

from __future__ import annotations

import base64

import pytest
from pydantic import SecretStr

from bancone_contracts.events.channel import ChannelChange
from bancone_kit.crypto import (
    DEV_CHANNEL_KEYRING,
    DEV_SECRETS_KEYRING,
    Keyring,
    KeyringError,
    Sealed,
    SecretBox,
    SecretBoxError,
    generate_key,
)

pytestmark = pytest.mark.unit


def box(spec: str) -> SecretBox:
    return SecretBox(Keyring.parse(spec))


def test_seal_then_open_returns_the_plaintext_including_non_ascii() -> None:
    secrets = box(f"k1:{generate_key()}")
    token = secrets.seal("EAAG tök€n 🍷", aad="106540352242922")
    assert token.startswith("k1:")
    assert "tök" not in token
    assert secrets.open(token, aad="106540352242922") == "EAAG tök€n 🍷"


def test_each_seal_uses_a_fresh_nonce() -> None:
    secrets = box(f"k1:{generate_key()}")
    assert secrets.seal("same", "row") != secrets.seal("same", "row")


def test_ciphertext_copied_to_another_row_does_not_open() -> None:
    secrets = box(f"k1:{generate_key()}")
    token = secrets.seal("app-secret", aad="channel:111:app_secret")
    with pytest.raises(SecretBoxError):
        secrets.open(token, aad="channel:222:app_secret")


def test_tampered_ciphertext_does_not_open() -> None:
    secrets = box(f"k1:{generate_key()}")
    sealed = Sealed.from_compact(secrets.seal("token", "row"))
    blob = bytearray(base64.b64decode(sealed.ciphertext))
    blob[-1] ^= 0x01
    tampered = Sealed(sealed.key_id, base64.b64encode(bytes(blob)).decode())
    with pytest.raises(SecretBoxError):
        secrets.open_parts(tampered, "row")


@pytest.mark.parametrize("token", ["", "no-colon", "k1:", "k1:!!notbase64!!", "k1:AAAA"])
def test_malformed_tokens_are_rejected_with_secret_box_error(token: str) -> None:
    with pytest.raises(SecretBoxError):
        box(f"k1:{generate_key()}").open(token, "row")


def test_a_key_the_keyring_lacks_cannot_open() -> None:
    token = box(f"old:{generate_key()}").seal("token", "row")
    with pytest.raises(SecretBoxError, match="unknown key"):
        box(f"new:{generate_key()}").open(token, "row")


def test_rotation_keeps_old_tokens_readable_and_seals_with_the_new_key() -> None:
    old_key, new_key = generate_key(), generate_key()
    before = box(f"old:{old_key}")
    token = before.seal("token", "row")
    after = box(f"new:{new_key},old:{old_key}")
    assert after.open(token, "row") == "token"
    assert not after.is_current(token)
    resealed = after.seal("token", "row")
    assert resealed.startswith("new:")
    assert after.is_current(resealed)


def test_keyring_accepts_a_secret_str_and_makes_the_first_entry_current() -> None:
    first = generate_key()
    keyring = Keyring.parse(SecretStr(f" a:{first} , b:{generate_key()} "))
    assert keyring.current_id == "a"
    assert set(keyring.keys) == {"a", "b"}
    assert repr(keyring) == "Keyring(current_id='a')", "key material never in a repr"


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "nokey",
        "k1:not-base64!",
        f"k1:{base64.b64encode(b'short').decode()}",
        f"bad id:{generate_key()}",
        f"k1:{generate_key()},k1:{generate_key()}",
    ],
)
def test_invalid_keyrings_are_refused(spec: str) -> None:
    with pytest.raises(KeyringError):
        Keyring.parse(spec)


def test_dev_keyrings_parse_and_differ() -> None:
    rest, channel = Keyring.parse(DEV_SECRETS_KEYRING), Keyring.parse(DEV_CHANNEL_KEYRING)
    assert rest.keys[rest.current_id] != channel.keys[channel.current_id]


def test_sealed_parts_fit_the_channel_event_contract() -> None:
    secrets = box(DEV_CHANNEL_KEYRING)
    sealed = secrets.seal_parts("EAAG-token", aad="106540352242922")
    change = ChannelChange(
        change="registered",
        phone_number_id="106540352242922",
        access_token_ciphertext=sealed.ciphertext,
        key_id=sealed.key_id,
    )
    assert change.access_token_ciphertext is not None
    assert change.key_id is not None
    reopened = Sealed(change.key_id, change.access_token_ciphertext)
    assert secrets.open_parts(reopened, aad="106540352242922") == "EAAG-token"
