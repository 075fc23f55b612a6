"""`OrderTools` over the catalog's HTTP API: quotes, placing an order, reading a customer's
orders (`/v1/tenants/{tenant}/carts/quote`, `/orders`, `/orders/by-number/{n}`).

The tenant is bound when the tools are built and is part of every URL. Every request carries
a service token for that tenant and the catalog, has the configured timeout and is retried
briefly on a transient failure (network, timeout, 429, 5xx) — placing too: the idempotency
key (the confirmation tap's wamid) makes a retried `POST /orders` return the same order. A
refusal (409 `price_changed` / `sold_out`, 422) is `OrderProblemError` with the problem's
code; a failure left after the retries is `ToolError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote as url_quote

import httpx
from pydantic import ValidationError

from bancone_agent.adapters.shop_tools import ServiceCredentials
from bancone_agent.domain import ToolError
from bancone_agent.domain.cart import CartLine, Quote
from bancone_agent.domain.order_port import NewOrder, OrderProblemError, OrderView
from bancone_contracts.tenancy import is_tenant_id
from bancone_kit.logging import get_logger
from bancone_kit.messaging.retry import RetryPolicy, parse_retry_after

log = get_logger(__name__)

KNOWN_PROBLEMS = ("price_changed", "sold_out")


class _TransientError(Exception):
    def __init__(self, reason: str, retry_after_seconds: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after_seconds = retry_after_seconds


class HttpOrderTools:
    """The catalog's cart and order API for one tenant."""

    def __init__(
        self,
        tenant_id: str,
        catalog_url: str,
        http: httpx.AsyncClient,
        *,
        timeout: httpx.Timeout | float = 5.0,
        attempts: int = 3,
        retry_delay: float = 0.2,
        credentials: ServiceCredentials | None = None,
    ) -> None:
        if not is_tenant_id(tenant_id):
            raise ValueError(f"not a tenant id: {tenant_id!r}")
        self.tenant_id = tenant_id
        self._base = f"{catalog_url.rstrip('/')}/v1/tenants/{tenant_id}"
        self._http = http
        self._timeout = timeout
        self._retry = RetryPolicy(
            attempts=attempts, initial_delay=retry_delay, max_delay=2.0, jitter=retry_delay
        )
        self._credentials = credentials

    async def quote(self, lines: Sequence[CartLine]) -> Quote:
        body = {"lines": [{"sku": x.sku, "quantity": x.quantity} for x in lines]}
        data = await self._call("POST", "/carts/quote", json=body)
        try:
            return Quote.model_validate(data)
        except ValidationError as error:
            raise ToolError(f"unexpected quote shape: {error}") from error

    async def place(self, order: NewOrder) -> OrderView:
        fulfilment: dict[str, Any] = {"method": order.method.value, "name": order.name}
        if order.address:
            fulfilment["address"] = order.address
        body = {
            "idempotency_key": order.idempotency_key,
            "customer_id": order.customer_id,
            "phone_number_id": order.phone_number_id,
            "conversation_id": order.conversation_id,
            "language": order.language,
            "lines": [
                {
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "expected_unit_price": str(line.expected_unit_price),
                }
                for line in order.lines
            ],
            "fulfilment": fulfilment,
        }
        data = await self._call("POST", "/orders", json=body, refusals=True)
        order_view = _order(data)
        log.info(
            "orders.placed",
            tenant_id=self.tenant_id,
            order_id=order_view.order_id,
            number=order_view.number,
        )
        return order_view

    async def by_number(self, number: str, customer_id: str) -> OrderView | None:
        path = f"/orders/by-number/{url_quote(number, safe='')}"
        data = await self._call("GET", path, params={"customer_id": customer_id}, absent=True)
        return _order(data) if data is not None else None

    async def latest(self, customer_id: str) -> OrderView | None:
        params = {"customer_id": customer_id, "limit": "1"}
        data = await self._call("GET", "/orders", params=params)
        items = data.get("items") if isinstance(data, dict) else data
        if not isinstance(items, list) or not items:
            return None
        return _order(items[0])

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        absent: bool = False,
        refusals: bool = False,
    ) -> Any:
        try:
            return await self._retry.call(
                lambda: self._request(method, path, json, params, absent, refusals),
                retry_on=(_TransientError,),
            )
        except (_TransientError, httpx.HTTPError) as error:
            raise ToolError(f"{method} {path} failed: {error}") from error

    async def _request(
        self,
        method: str,
        path: str,
        json: Any,
        params: dict[str, str] | None,
        absent: bool,
        refusals: bool,
    ) -> Any:
        url = self._base + path
        headers = (
            await self._credentials.headers(self.tenant_id, "catalog") if self._credentials else {}
        )
        try:
            response = await self._http.request(
                method, url, json=json, params=params, headers=headers, timeout=self._timeout
            )
        except httpx.TransportError as error:
            raise _TransientError(f"{type(error).__name__}: {error}") from error
        status = response.status_code
        if status == 429 or status >= 500:
            raise _TransientError(
                f"HTTP {status}", parse_retry_after(response.headers.get("retry-after"))
            )
        if absent and status == 404:
            return None
        if refusals and status in (409, 422):
            raise OrderProblemError(*_problem(response))
        response.raise_for_status()
        return response.json()


def _problem(response: httpx.Response) -> tuple[str, str]:
    """(code, detail) of an RFC 9457 problem: the code is its `code`, else the last part of
    its `type` URI, else the HTTP status."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = str(body.get("code") or str(body.get("type") or "").rstrip("/").rsplit("/", 1)[-1])
    if code not in KNOWN_PROBLEMS:
        said = response.text
        code = next((known for known in KNOWN_PROBLEMS if known in said), code)
    return (code or str(response.status_code), str(body.get("detail") or ""))


def _order(data: Any) -> OrderView:
    if not isinstance(data, dict):
        raise ToolError("unexpected order shape")
    try:
        return OrderView.of(data)
    except ValidationError as error:
        raise ToolError(f"unexpected order shape: {error}") from error
