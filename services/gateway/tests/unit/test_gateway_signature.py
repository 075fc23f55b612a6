"""X-Hub-Signature-256 over the raw body, compared in constant time."""

from __future__ import annotations

import json

import pytest

from bancone_gateway.domain.signature import is_well_formed, sign, verify_signature

pytestmark = pytest.mark.unit

SECRET = "0123456789abcdef0123456789abcdef"


def test_known_hmac_sha256_vector() -> None:
    assert sign(b"The quick brown fox jumps over the lazy dog", "key") == (
        "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    )


def test_the_signature_of_the_raw_body_verifies() -> None:
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    assert verify_signature(body, sign(body, SECRET), SECRET)


def test_upper_case_hex_is_accepted() -> None:
    body = b"{}"
    header = "sha256=" + sign(body, SECRET).removeprefix("sha256=").upper()
    assert verify_signature(body, header, SECRET)


def test_a_body_with_escaped_non_ascii_verifies_only_as_raw_bytes() -> None:
    raw = b'{"text":{"body":"Vorrei un vino rosso, caff\\u00e8 e perch\\u00e9 \\ud83c\\udf77"}}'
    header = sign(raw, SECRET)
    assert verify_signature(raw, header, SECRET)
    reserialised = json.dumps(json.loads(raw), ensure_ascii=False).encode()
    assert reserialised != raw
    assert not verify_signature(reserialised, header, SECRET)


def test_a_changed_body_fails() -> None:
    body = b'{"amount":"10"}'
    assert not verify_signature(b'{"amount":"90"}', sign(body, SECRET), SECRET)


def test_another_secret_fails() -> None:
    body = b"{}"
    assert not verify_signature(body, sign(body, "another-app-secret"), SECRET)


@pytest.mark.parametrize(
    "header",
    [None, "", "sha256=", "sha1=" + "a" * 40, "sha256=" + "g" * 64, "sha256=" + "a" * 63, "a" * 64],
)
def test_missing_or_malformed_headers_fail(header: str | None) -> None:
    assert not is_well_formed(header)
    assert not verify_signature(b"{}", header, SECRET)


def test_an_empty_secret_never_verifies() -> None:
    assert not verify_signature(b"{}", sign(b"{}", ""), "")
