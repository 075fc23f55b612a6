"""The gateway's signed links, as the agent asks for them: `POST /v1/internal/tenants/{t}/links`
with a service token for that tenant and the callee `gateway`.

Transient failures (no connection, timeout, 429, 5xx, a token the gateway would not mint)
are retried a few times with the kit's backoff; what is still failing then, and every
refusal (4xx), is `InvoiceLinkUnavailableError` — the handler decides what the customer is
told.
"""

from __future__ import annotations

from typing import Final

import httpx
from pydantic import BaseModel, ValidationError

from bancone_agent.domain.order_updates import InvoiceLinkUnavailableError
from bancone_kit.auth.service_tokens import ServiceTokenClient
from bancone_kit.messaging.retry import RetryPolicy

CALLEE: Final = "gateway"


class _TransientError(Exception):
    """Worth another attempt."""


class _LinkCreated(BaseModel):
    url: str


class GatewayInvoiceLinks:
    """Mints invoice links at the gateway for the tenant of the event in hand."""

    def __init__(
        self,
        gateway_url: str,
        client: httpx.AsyncClient,
        credentials: ServiceTokenClient,
        *,
        retry: RetryPolicy,
    ) -> None:
        self._base = gateway_url.rstrip("/")
        self._client = client
        self._credentials = credentials
        self._retry = retry

    async def invoice_link(self, tenant_id: str, order_id: str) -> str:
        try:
            return await self._retry.call(lambda: self._mint(tenant_id, order_id), _TransientError)
        except _TransientError as error:
            raise InvoiceLinkUnavailableError(str(error)) from error

    async def _mint(self, tenant_id: str, order_id: str) -> str:
        url = f"{self._base}/v1/internal/tenants/{tenant_id}/links"
        try:
            headers = await self._credentials.headers(tenant_id, CALLEE)
            response = await self._client.post(
                url, json={"kind": "invoice", "resource_id": order_id}, headers=headers
            )
        except httpx.HTTPStatusError as error:  # the service token was refused
            raise _TransientError(f"service token: HTTP {error.response.status_code}") from error
        except httpx.HTTPError as error:
            raise _TransientError(f"{type(error).__name__}: {error}") from error
        if response.status_code == 429 or response.status_code >= 500:
            raise _TransientError(f"links: HTTP {response.status_code}")
        if response.status_code not in (200, 201):
            raise InvoiceLinkUnavailableError(f"links: HTTP {response.status_code}")
        try:
            return _LinkCreated.model_validate(response.json()).url
        except (ValueError, ValidationError) as error:
            raise InvoiceLinkUnavailableError("links: unreadable answer") from error
