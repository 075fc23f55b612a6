"""The ingest's HTTP API under `/v1/tenants/{tenant_id}/`: hybrid search and index counts.

The tenant comes from the path only, never from the body, and every index call is scoped to
it (`adapters/vectors.py`). A query the domain refuses (bad limit, price range or tenant id)
is a 422 problem; an index that is not open yet is a 503.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Annotated, Any, Protocol, TypeVar, cast

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from bancone_ingest.adapters.index_handle import IndexNotReadyError
from bancone_ingest.domain import (
    KINDS,
    Hit,
    InvalidQueryError,
    InvalidTenantError,
    Kind,
    Order,
    SearchQuery,
    checked_tenant_id,
)
from bancone_ingest.settings import IngestSettings
from bancone_kit.http.errors import ProblemError
from bancone_kit.http.problems import Problem

T = TypeVar("T")

HIDDEN_PAYLOAD_FIELDS = frozenset({"keywords"})
"""Index internals left out of a hit's payload (the folded terms of the keyword score)."""

MAX_TEXT_LENGTH = 2000


class IndexReader(Protocol):
    """What the routes need of the index (the app's `IndexHandle`)."""

    async def search(self, tenant_id: str, query: SearchQuery) -> list[Hit]: ...

    async def count(self, tenant_id: str, kind: Kind | None = None) -> int: ...


class SearchRequest(BaseModel):
    """A search: free text plus structured filters. Unknown fields are refused, so a
    misspelt filter is an error rather than a silently unfiltered answer."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(default="", max_length=MAX_TEXT_LENGTH)
    kinds: list[Kind] | None = Field(default=None, description="Any kind when absent.")
    category: str | None = Field(default=None, examples=["vino-rosso"])
    attributes: dict[str, str] = Field(
        default_factory=dict,
        description="Exact attribute filters; `colour` in it/en/es (rosso, red, tinto).",
        examples=[{"colour": "red"}],
    )
    min_price: Decimal | None = Field(default=None, ge=0, examples=["5.00"])
    max_price: Decimal | None = Field(default=None, ge=0, examples=["20.00"])
    in_stock_only: bool = False
    limit: int | None = Field(default=None, description="Hits wanted (1-50; default 5).")
    order: Order = "relevance"

    def to_query(self, default_limit: int) -> SearchQuery:
        """The domain query; raises InvalidQueryError for what the domain refuses."""
        return SearchQuery(
            text=self.text,
            kinds=tuple(self.kinds or ()),
            category=self.category or None,
            attributes=dict(self.attributes),
            min_price=self.min_price,
            max_price=self.max_price,
            in_stock_only=self.in_stock_only,
            limit=default_limit if self.limit is None else self.limit,
            order=self.order,
        )


class SearchHit(BaseModel):
    kind: Kind
    entity_id: str
    score: float
    title: str
    text: str
    payload: dict[str, Any]


class SearchResponse(BaseModel):
    hits: list[SearchHit]


class IndexStats(BaseModel):
    tenant_id: str
    documents: dict[Kind, int] = Field(description="Indexed documents per kind.")
    total: int


def _index(request: Request) -> IndexReader:
    return cast(IndexReader, request.app.state.index)


def _settings(request: Request) -> IngestSettings:
    return cast(IngestSettings, request.app.state.settings)


IndexDep = Annotated[IndexReader, Depends(_index)]
SettingsDep = Annotated[IngestSettings, Depends(_settings)]

router = APIRouter(
    prefix="/v1/tenants/{tenant_id}",
    tags=["search"],
    responses={422: {"model": Problem}, 503: {"model": Problem}},
)


async def _answer(call: Callable[[], Awaitable[T]]) -> T:
    """Run an index call, turning the domain's refusals into problems."""
    try:
        return await call()
    except InvalidTenantError as error:
        raise ProblemError(422, "Invalid tenant id", str(error)) from error
    except InvalidQueryError as error:
        raise ProblemError(422, "Invalid search query", str(error)) from error
    except IndexNotReadyError as error:
        raise ProblemError(503, "Index not ready", str(error)) from error


def _public(hit: Hit) -> SearchHit:
    payload = {k: v for k, v in hit.payload.items() if k not in HIDDEN_PAYLOAD_FIELDS}
    return SearchHit(
        kind=hit.kind,
        entity_id=hit.entity_id,
        score=hit.score,
        title=hit.title,
        text=hit.text,
        payload=payload,
    )


@router.post("/search", response_model=SearchResponse)
async def search(
    tenant_id: str, body: SearchRequest, index: IndexDep, settings: SettingsDep
) -> SearchResponse:
    """The tenant's best documents for the query: vectors, keywords and filters fused."""

    async def run() -> list[Hit]:
        checked_tenant_id(tenant_id)
        return await index.search(tenant_id, body.to_query(settings.search_default_limit))

    hits = await _answer(run)
    return SearchResponse(hits=[_public(hit) for hit in hits])


@router.get("/stats", response_model=IndexStats)
async def stats(tenant_id: str, index: IndexDep) -> IndexStats:
    """How many documents of each kind the tenant has indexed (e.g. to wait for an import)."""

    async def run() -> dict[Kind, int]:
        checked_tenant_id(tenant_id)
        return {kind: await index.count(tenant_id, kind) for kind in KINDS}

    documents = await _answer(run)
    return IndexStats(tenant_id=tenant_id, documents=documents, total=sum(documents.values()))
