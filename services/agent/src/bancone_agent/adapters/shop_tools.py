"""`ShopTools` over HTTP: ingest's hybrid search finds, the catalog has the last word.

The tenant is bound when the tools are built and is part of every URL; no argument of any
method (and so nothing a customer or a model writes) can name another tenant. Each result is
checked against the bound tenant once more before an assistant sees it.

Product search asks ingest (vectors + keywords + filters) which products fit, then reads
their name, price and stock from the catalog: ingest's copy may lag a price change, and
prices must be the catalog's. The catalog's own search answers when ingest is down or finds
nothing. Knowledge (FAQs, offers) comes from ingest, or from the catalog's lists when ingest
is down or empty. Every request has the configured timeout; a transient failure (network,
timeout, 429, 5xx) is retried briefly, and a request that still fails raises `ToolError`.

Every request carries a service token for the bound tenant and the called service (the kit's
`ServiceTokenClient`, minted by the gateway and cached), so catalog and ingest answer this
agent for this tenant only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from bancone_agent.domain import KnowledgeHit, Product, ProductQuery, ToolError
from bancone_contracts.tenancy import is_tenant_id
from bancone_kit.logging import get_logger
from bancone_kit.messaging.retry import RetryPolicy, parse_retry_after

log = get_logger(__name__)

INGEST_MAX_LIMIT = 50
INGEST_MAX_TEXT = 2000
CATALOG_MAX_LIMIT = 100


M = TypeVar("M", bound=BaseModel)


class ServiceCredentials(Protocol):
    """What `ServiceTokenClient` offers: the `Authorization` header for one call."""

    async def headers(self, tenant_id: str, callee: str) -> dict[str, str]: ...


class _TransientError(Exception):
    """A failure worth one more try: the network, a timeout, 429 or a 5xx (with the server's
    `Retry-After`, when it sent one)."""

    def __init__(self, reason: str, retry_after_seconds: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after_seconds = retry_after_seconds


class _Page(BaseModel):
    model_config = ConfigDict(extra="ignore")
    items: list[dict[str, Any]]


class _HitPage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    hits: list[dict[str, Any]]


class HttpShopTools:
    """The shop's data for one tenant, from the catalog and ingest HTTP APIs."""

    def __init__(
        self,
        tenant_id: str,
        catalog_url: str,
        ingest_url: str,
        http: httpx.AsyncClient,
        *,
        timeout: httpx.Timeout | float = 3.0,
        attempts: int = 2,
        retry_delay: float = 0.2,
        knowledge_limit: int = 5,
        credentials: ServiceCredentials | None = None,
    ) -> None:
        if not is_tenant_id(tenant_id):
            raise ValueError(f"not a tenant id: {tenant_id!r}")
        self.tenant_id = tenant_id
        self._catalog = f"{catalog_url.rstrip('/')}/v1/tenants/{tenant_id}"
        self._ingest = f"{ingest_url.rstrip('/')}/v1/tenants/{tenant_id}"
        self._http = http
        self._timeout = timeout
        self._retry = RetryPolicy(
            attempts=attempts, initial_delay=retry_delay, max_delay=2.0, jitter=retry_delay
        )
        self._knowledge_limit = knowledge_limit
        self._credentials = credentials

    # -- ShopTools ---------------------------------------------------------------------------

    async def search_products(self, query: ProductQuery) -> list[Product]:
        found: list[Product] = []
        scores = await self._ingest_product_ids(query)
        if scores:
            ranked = await self._products_by_id(list(scores))
            scored = [p.model_copy(update={"match_score": scores[p.id]}) for p in ranked]
            found = matching(scored, query)
        if not found:
            found = matching(await self._catalog_search(query), query)
        return found[: query.limit]

    async def search_knowledge(self, text: str, kinds: Sequence[str]) -> list[KnowledgeHit]:
        body = {
            "text": text[:INGEST_MAX_TEXT],
            "kinds": list(kinds),
            "limit": self._knowledge_limit,
        }
        try:
            hits = self._own_hits(await self._post_ingest_search(body))
        except ToolError as error:
            log.warning("tools.ingest_unavailable", tenant_id=self.tenant_id, error=str(error))
            hits = []
        if not hits:
            return await self._catalog_knowledge(kinds)
        return await self._with_translations(hits)

    async def _with_translations(self, hits: list[KnowledgeHit]) -> list[KnowledgeHit]:
        """Ingest's FAQ hits with the catalog's translations of them (ingest indexes one
        language; the catalog holds every version the shop wrote)."""
        if not any(h.kind == "faq" and "translations" not in h.payload for h in hits):
            return hits
        try:
            stored = {h.entity_id: h for h in await self._catalog_knowledge(("faq",))}
        except ToolError:
            return hits
        return [
            h.model_copy(
                update={"payload": {**h.payload, "translations": own.payload["translations"]}}
            )
            if h.kind == "faq" and (own := stored.get(h.entity_id)) is not None
            else h
            for h in hits
        ]

    async def get_product(self, product_id: str) -> Product | None:
        """The catalog's product `product_id` of this tenant; None when the catalog has no such
        product under this tenant (404), it is inactive, or the id is not a product id at all.

        The id is only ever looked up under the bound tenant's URL, so another tenant's id
        (from a prompt, a stale index, anything) finds nothing.
        """
        if not _is_uuid(product_id):
            return None
        data = await self._call("GET", f"{self._catalog}/products/{product_id}", not_found=True)
        if data is None:
            return None
        products = self._own_products([data])
        return products[0] if products and products[0].active else None

    async def list_offers(self) -> list[KnowledgeHit]:
        """The shop's offers valid today, from the catalog (the source of their terms)."""
        return await self._catalog_knowledge(("offer",))

    # -- products ----------------------------------------------------------------------------

    async def _ingest_product_ids(self, query: ProductQuery) -> dict[str, float]:
        """The ids ingest ranks for the query, best first, with their scores; empty when
        ingest can't answer."""
        body: dict[str, Any] = {
            "text": query.text[:INGEST_MAX_TEXT],
            "kinds": ["product"],
            "in_stock_only": query.in_stock_only,
            "limit": min(query.limit, INGEST_MAX_LIMIT),
            "order": query.sort.value,
        }
        if query.category:
            body["category"] = query.category
        if query.colour:
            body["attributes"] = {"colour": query.colour}
        if query.min_price is not None:
            body["min_price"] = str(query.min_price)
        if query.max_price is not None:
            body["max_price"] = str(query.max_price)
        try:
            hits = self._own_hits(await self._post_ingest_search(body))
        except ToolError as error:
            log.warning("tools.ingest_unavailable", tenant_id=self.tenant_id, error=str(error))
            return {}
        scores: dict[str, float] = {}
        for h in hits:
            if h.kind == "product" and _is_uuid(h.entity_id):
                scores.setdefault(h.entity_id, h.score)
        return scores

    async def _products_by_id(self, ids: Sequence[str]) -> list[Product]:
        """The catalog's current view of these products, in the order asked."""
        data = await self._call(
            "GET",
            f"{self._catalog}/products:batchGet",
            params={"ids": ",".join(ids[:CATALOG_MAX_LIMIT])},
        )
        by_id = {p.id: p for p in self._own_products(_parse(_Page, data).items)}
        return [by_id[i] for i in ids if i in by_id]

    async def _catalog_search(self, query: ProductQuery) -> list[Product]:
        params: dict[str, str | int] = {"limit": min(query.limit, CATALOG_MAX_LIMIT)}
        if query.text.strip():
            params["q"] = query.text.strip()[:200]
        if query.category:
            params["category"] = query.category
        if query.colour:
            params["colour"] = query.colour
        if query.min_price is not None:
            params["min_price"] = str(query.min_price)
        if query.max_price is not None:
            params["max_price"] = str(query.max_price)
        if query.in_stock_only:
            params["in_stock"] = "true"
        data = await self._call("GET", f"{self._catalog}/products", params=params)
        return self._own_products(_parse(_Page, data).items)

    def _own_products(self, items: Iterable[dict[str, Any]]) -> list[Product]:
        products = []
        for item in items:
            if item.get("tenant_id") != self.tenant_id:
                log.warning("tools.foreign_product_dropped", tenant_id=self.tenant_id)
                continue
            products.append(_parse(Product, item))
        return products

    # -- knowledge ---------------------------------------------------------------------------

    async def _post_ingest_search(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        data = await self._call("POST", f"{self._ingest}/search", json=body)
        return _parse(_HitPage, data).hits

    def _own_hits(self, raw_hits: Iterable[dict[str, Any]]) -> list[KnowledgeHit]:
        hits = []
        for raw in raw_hits:
            hit = _parse(KnowledgeHit, raw)
            if hit.payload.get("tenant_id", self.tenant_id) != self.tenant_id:
                log.warning("tools.foreign_hit_dropped", tenant_id=self.tenant_id)
                continue
            hits.append(hit)
        return hits

    async def _catalog_knowledge(self, kinds: Sequence[str]) -> list[KnowledgeHit]:
        """Every FAQ and current offer of the shop, unscored: what's left without ingest."""
        hits: list[KnowledgeHit] = []
        if "faq" in kinds:
            data = await self._call("GET", f"{self._catalog}/faqs")
            hits.extend(
                _faq_hit(item)
                for item in _parse(_Page, data).items
                if item.get("tenant_id") == self.tenant_id
            )
        if "offer" in kinds:
            data = await self._call("GET", f"{self._catalog}/offers")
            today = datetime.now(UTC).date()
            hits.extend(
                _offer_hit(item)
                for item in _parse(_Page, data).items
                if item.get("tenant_id") == self.tenant_id and _offer_current(item, today)
            )
        return hits

    # -- HTTP --------------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str | int] | None = None,
        json: dict[str, Any] | None = None,
        not_found: bool = False,
    ) -> Any:
        """One request with the timeout and the short retry; any failure left is `ToolError`.

        With `not_found`, a 404 (or 422: not an id the route accepts) is None, not an error.
        """
        try:
            return await self._retry.call(
                lambda: self._request(method, url, params=params, json=json, not_found=not_found),
                _TransientError,
            )
        except (_TransientError, httpx.HTTPError, ValueError) as error:
            path = httpx.URL(url).path
            raise ToolError(f"{method} {path} failed: {error}") from error

    async def _request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str | int] | None,
        json: dict[str, Any] | None,
        not_found: bool = False,
    ) -> Any:
        headers = await self._auth_headers(url)
        try:
            response = await self._http.request(
                method, url, params=params, json=json, headers=headers, timeout=self._timeout
            )
        except httpx.TransportError as error:
            raise _TransientError(f"{type(error).__name__}: {error}") from error
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise _TransientError(f"HTTP {response.status_code}", retry_after)
        if not_found and response.status_code in (404, 422):
            return None
        response.raise_for_status()
        return response.json()

    async def _auth_headers(self, url: str) -> dict[str, str]:
        """The service token for the bound tenant and the service `url` belongs to."""
        if self._credentials is None:
            return {}
        callee = "catalog" if url.startswith(self._catalog) else "ingest"
        return await self._credentials.headers(self.tenant_id, callee)


def matching(products: Iterable[Product], query: ProductQuery) -> list[Product]:
    """The products that satisfy the query's filters by the catalog's current data."""
    colour = query.colour.casefold() if query.colour else None
    kept = []
    for p in products:
        if not p.active:
            continue
        if query.min_price is not None and p.price < query.min_price:
            continue
        if query.max_price is not None and p.price > query.max_price:
            continue
        if query.in_stock_only and p.stock <= 0:
            continue
        if query.category and p.category != query.category:
            continue
        if colour and (p.colour or "").casefold() != colour:
            continue
        kept.append(p)
    return kept


def _parse(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ToolError(f"unexpected {model.__name__} shape: {error}") from error


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def _faq_hit(item: dict[str, Any]) -> KnowledgeHit:
    return KnowledgeHit(
        kind="faq",
        entity_id=str(item.get("id", "")),
        score=0.0,
        title=str(item.get("question", "")),
        text=str(item.get("answer", "")),
        payload={
            "tenant_id": item.get("tenant_id"),
            "language": item.get("language"),
            "tags": item.get("tags", []),
            "answer": item.get("answer", ""),
            "translations": item.get("translations") or {},
        },
    )


def _offer_hit(item: dict[str, Any]) -> KnowledgeHit:
    title, description = str(item.get("title", "")), str(item.get("description", ""))
    payload = {k: v for k, v in item.items() if k not in ("created_at", "updated_at")}
    payload["answer"] = f"{title}: {description}" if description else title
    return KnowledgeHit(
        kind="offer",
        entity_id=str(item.get("id", "")),
        score=0.0,
        title=title,
        text=description,
        payload=payload,
    )


def _offer_current(item: dict[str, Any], today: date) -> bool:
    try:
        start = date.fromisoformat(item["valid_from"]) if item.get("valid_from") else None
        end = date.fromisoformat(item["valid_until"]) if item.get("valid_until") else None
    except (TypeError, ValueError):
        return False
    return (start is None or start <= today) and (end is None or today <= end)
