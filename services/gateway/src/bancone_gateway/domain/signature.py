"""Meta's webhook signature: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, body)>`.

The HMAC covers the exact bytes Meta sent. Meta escapes non-ASCII characters (`\\u00e4`), so
parsing and re-serialising the JSON, or decoding the bytes first, would change what is hashed.
"""

from __future__ import annotations

import hashlib
import hmac
import re

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


def sign(raw_body: bytes, app_secret: str) -> str:
    """The header value Meta would send for `raw_body` (tests, the sandbox, `bancone chat`)."""
    digest = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def is_well_formed(header: str | None) -> bool:
    """Whether the header has the `sha256=<64 hex>` shape, before any secret is looked up."""
    if header is None or not header.startswith(_PREFIX):
        return False
    return _HEX_DIGEST.fullmatch(header.removeprefix(_PREFIX)) is not None


def verify_signature(raw_body: bytes, header: str | None, app_secret: str) -> bool:
    """True when `header` is the HMAC-SHA256 of the raw body with `app_secret` (constant time)."""
    if not is_well_formed(header) or not app_secret:
        return False
    assert header is not None
    expected = sign(raw_body, app_secret)
    return hmac.compare_digest(expected.encode(), header.lower().encode())
