"""The ingest's HTTP API under `/v1/tenants/{tenant_id}/`: hybrid search and index counts.

Thin routes that call the ingest's search handlers. The tenant comes from the path only, never
from the body, and every index call is scoped to it (`adapters/vectors.py`). A query the domain
refuses (bad limit, price range or tenant id) is a 422 problem, an index that is not open yet a
503 (`entrypoints/http.py`, `INGEST_PROBLEMS`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, TypeVar, cast

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from bancone_ingest import handlers
from bancone_ingest.domain import (
    Hit,
    Kind,
    Order,
    SearchQuery,
)
from bancone_ingest.handlers import IndexReader
from bancone_ingest.settings import IngestSettings
from bancone_kit.http.auth import ServiceOrViewer
from bancone_kit.http.problems import Problem

T = TypeVar("T")

HIDDEN_PAYLOAD_FIELDS = frozenset({"keywords"})
"""Index internals left out of a hit's payload (the folded terms of the keyword score)."""

MAX_TEXT_LENGTH = 2000


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
    citation: str | None = Field(
        default=None,
        description="Where a document passage comes from (title, page or section).",
        examples=["Warranty terms, p. 2"],
    )
    payload: dict[str, Any]


class SearchResponse(BaseModel):
    hits: list[SearchHit]


class IndexStats(BaseModel):
    tenant_id: str
    documents: dict[Kind, int] = Field(description="Indexed documents per kind.")
    total: int


async def _index(request: Request) -> IndexReader:
    return cast(IndexReader, request.app.state.index)


async def _settings(request: Request) -> IngestSettings:
    return cast(IngestSettings, request.app.state.settings)


IndexDep = Annotated[IndexReader, Depends(_index)]
SettingsDep = Annotated[IngestSettings, Depends(_settings)]

router = APIRouter(
    prefix="/v1/tenants/{tenant_id}",
    tags=["search"],
    dependencies=[ServiceOrViewer],
    responses={code: {"model": Problem} for code in (401, 403, 404, 422, 503)},
)
"""Search and stats answer a viewer of the tenant or the agent's service token for it."""


def _public(hit: Hit) -> SearchHit:
    payload = {k: v for k, v in hit.payload.items() if k not in HIDDEN_PAYLOAD_FIELDS}
    return SearchHit(
        kind=hit.kind,
        entity_id=hit.entity_id,
        score=hit.score,
        title=hit.title,
        text=hit.text,
        citation=payload.get("citation"),
        payload=payload,
    )


@router.post("/search", response_model=SearchResponse)
async def search(
    tenant_id: str, body: SearchRequest, index: IndexDep, settings: SettingsDep
) -> SearchResponse:
    """The tenant's best documents for the query: vectors, keywords and filters fused."""
    query = body.to_query(settings.search_default_limit)
    hits = await handlers.search_index(tenant_id, query, index)
    return SearchResponse(hits=[_public(hit) for hit in hits])


@router.get("/stats", response_model=IndexStats)
async def stats(tenant_id: str, index: IndexDep) -> IndexStats:
    """How many documents of each kind the tenant has indexed (e.g. to wait for an import)."""
    documents = await handlers.count_indexed(tenant_id, index)
    return IndexStats(tenant_id=tenant_id, documents=documents, total=sum(documents.values()))
