"""The sandbox payment provider (`tools/sandbox`, under `/payments`) behind the `PaymentProvider`
port: link creation over HTTP and the check of its signed callbacks.

Callbacks carry `X-Sandbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." +
raw body)>`; the HMAC covers the timestamp, so a captured callback cannot be replayed once it
is older than `tolerance_seconds` (and a replay within it is deduplicated by `event_id`).
The wire protocol is in docs/payments-and-links.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from pydantic import SecretStr

from bancone_catalog.domain.payments import (
    InvalidPaymentCallbackError,
    PaymentLink,
    PaymentNotice,
    PaymentProviderError,
    PaymentRequest,
)
from bancone_kit.clock import utcnow

SIGNATURE_HEADER = "x-sandbox-signature"
LINKS_PATH = "/payments/v1/links"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The `X-Sandbox-Signature` value for `body` at `timestamp` (the provider's side; tests)."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


class SandboxPayments:
    """`PaymentProvider` for the project's sandbox; one instance per catalog process."""

    name = "sandbox"

    def __init__(
        self,
        base_url: str,
        api_key: SecretStr | str,
        secret: SecretStr | str,
        http: httpx.AsyncClient,
        *,
        tolerance_seconds: int = 300,
        timeout_seconds: float = 5.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._url = base_url.rstrip("/") + LINKS_PATH
        self._api_key = _reveal(api_key)
        self._secret = _reveal(secret).encode()
        self._http = http
        self._tolerance = tolerance_seconds
        self._timeout = timeout_seconds
        self._clock = clock

    async def create_link(self, request: PaymentRequest) -> PaymentLink:
        body = {
            "reference": request.order_id,
            "tenant_id": request.tenant_id,
            "amount": str(request.amount),
            "currency": request.currency,
            "description": request.description,
            "callback_url": request.callback_url,
        }
        try:
            response = await self._http.post(
                self._url,
                json=body,
                headers={"Authorization": f"Bearer {self._api_key}"},
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            raise PaymentProviderError(f"sandbox unreachable: {type(exc).__name__}") from exc
        if response.status_code not in (200, 201):
            raise PaymentProviderError(f"sandbox refused the link: HTTP {response.status_code}")
        try:
            answer = response.json()
            return PaymentLink(provider=self.name, link_id=answer["id"], url=answer["url"])
        except (ValueError, KeyError, TypeError) as exc:
            raise PaymentProviderError("sandbox answered without a link") from exc

    def read_callback(self, body: bytes, headers: Mapping[str, str]) -> PaymentNotice:
        self._verify(body, _header(headers))
        try:
            data: Any = json.loads(body)
            return PaymentNotice(
                provider=self.name,
                event_id=str(data["event_id"]),
                link_id=str(data["link_id"]),
                tenant_id=str(data["tenant_id"]),
                order_id=str(data["reference"]),
                status=data["status"],
                amount=Decimal(str(data["amount"])),
                currency=str(data["currency"]),
            )
        except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
            # Signed by the provider but not a notice we understand: refuse, change nothing.
            raise InvalidPaymentCallbackError("malformed notice") from exc

    def _verify(self, body: bytes, header: str) -> None:
        fields: dict[str, str] = {}
        for part in header.split(","):
            name, sep, value = part.strip().partition("=")
            if sep:
                fields.setdefault(name, value)
        stamp, given = fields.get("t", ""), fields.get("v1", "")
        if not stamp.isdigit() or not given:
            raise InvalidPaymentCallbackError("malformed signature header")
        expected = hmac.new(self._secret, stamp.encode() + b"." + body, hashlib.sha256)
        if not hmac.compare_digest(expected.hexdigest().encode(), given.lower().encode()):
            raise InvalidPaymentCallbackError("signature mismatch")
        age = self._clock().timestamp() - int(stamp)
        if abs(age) > self._tolerance:
            raise InvalidPaymentCallbackError("signature timestamp outside the tolerance")


def _header(headers: Mapping[str, str]) -> str:
    """The signature header whatever its case (Starlette's headers are lower-case already)."""
    for name, value in headers.items():
        if name.lower() == SIGNATURE_HEADER:
            return value
    raise InvalidPaymentCallbackError("missing signature header")


def _reveal(value: SecretStr | str) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else value
