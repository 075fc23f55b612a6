"""Fetches a paid order's invoice PDF from the catalog for a signed link, as the gateway itself:
a service token it signs for that tenant and the catalog (`service:gateway`), never a key of
the customer's. The order is read first: its `invoice.number` names the file, and an order
without an invoice stops here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from bancone_gateway.domain.links import LinkNotFoundError, LinkTargetUnavailableError
from bancone_kit.logging import get_logger

log = get_logger(__name__)

MAX_PDF_BYTES = 10 * 1024 * 1024
"""An invoice is tens of kilobytes; anything past this is not one (and is not relayed)."""

NOT_FOUND = frozenset({400, 404, 422})
"""What the catalog answers for an id that names nothing (a non-UUID id fails validation)."""

ServiceCredential = Callable[[str], Awaitable[str]]
"""tenant id → a bearer token for the catalog about that tenant."""


@dataclass(frozen=True, slots=True)
class InvoiceFile:
    number: str
    content: bytes


class CatalogInvoices:
    def __init__(
        self, base_url: str | None, http: httpx.AsyncClient, credential: ServiceCredential
    ) -> None:
        self._base = base_url.rstrip("/") if base_url else None
        self._http = http
        self._credential = credential

    async def invoice(self, tenant_id: str, order_id: str) -> InvoiceFile:
        """The invoice of the tenant's order; `LinkNotFoundError` when the catalog has none for
        that tenant, `LinkTargetUnavailableError` when it cannot say."""
        if self._base is None:
            log.warning("link.catalog_not_configured", tenant_id=tenant_id)
            raise LinkTargetUnavailableError("no catalog URL configured")
        tenant, order = quote(tenant_id, safe=""), quote(order_id, safe="")
        order_path = f"{self._base}/v1/tenants/{tenant}/orders/{order}"
        headers = {"Authorization": f"Bearer {await self._credential(tenant_id)}"}
        found = await self._get(order_path, headers, "application/json")
        try:
            data: Any = found.json()
        except ValueError as exc:
            raise LinkTargetUnavailableError("the catalog answered malformed JSON") from exc
        invoice = data.get("invoice") if isinstance(data, dict) else None
        number = invoice.get("number") if isinstance(invoice, dict) else None
        if not isinstance(number, str) or not number:
            raise LinkNotFoundError("the order has no invoice")
        pdf = await self._get(order_path + "/invoice.pdf", headers, "application/pdf")
        if len(pdf.content) > MAX_PDF_BYTES or not pdf.content.startswith(b"%PDF"):
            raise LinkTargetUnavailableError("the catalog answered something else than a PDF")
        return InvoiceFile(number, pdf.content)

    async def _get(self, url: str, headers: dict[str, str], media_type: str) -> httpx.Response:
        try:
            response = await self._http.get(url, headers={**headers, "Accept": media_type})
        except httpx.HTTPError as exc:
            log.warning("link.catalog_unreachable", error=type(exc).__name__)
            raise LinkTargetUnavailableError("catalog unreachable") from exc
        if response.status_code in NOT_FOUND:
            raise LinkNotFoundError("the catalog has no such order or invoice")
        if response.status_code != 200:
            log.warning("link.catalog_refused", status=response.status_code)
            raise LinkTargetUnavailableError(f"catalog answered {response.status_code}")
        if not response.headers.get("content-type", "").startswith(media_type):
            raise LinkTargetUnavailableError(f"catalog answered without {media_type}")
        return response
