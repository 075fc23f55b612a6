"""The knowledge index: one Qdrant collection holding every tenant's documents (an alias onto
its current generation, see `generations.py`).

Qdrant runs embedded (local mode, a directory only this process may open) by default, or
as a server when a URL is given; the code path is the same. Tenancy is a payload field,
and `_scope` is the only place a filter is built: every search, count, update and delete
goes through it, so none can forget the tenant.
"""

from __future__ import annotations

import asyncio
from array import array
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from qdrant_client import AsyncQdrantClient, models

from bancone_ingest.adapters.embedder import AnyEmbedder, embed_texts
from bancone_ingest.adapters.generations import (
    Progress,
    ReindexResult,
    create_generation,
    point_alias,
    rebuild,
    served_collection,
    vector_size,
)
from bancone_ingest.domain import (
    Candidate,
    EmbeddedText,
    Hit,
    IndexDocument,
    Kind,
    SearchQuery,
    checked_tenant_id,
    rank,
    stock_payload,
)
from bancone_ingest.domain.keywords import terms

DEFAULT_COLLECTION = "bancone_knowledge"
CANDIDATE_POOL = 64

_PAYLOAD_INDEXES: dict[str, models.PayloadSchemaType | models.KeywordIndexParams] = {
    "tenant_id": models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=True),
    "kind": models.PayloadSchemaType.KEYWORD,
    "entity_id": models.PayloadSchemaType.KEYWORD,
    "category": models.PayloadSchemaType.KEYWORD,
    "colour": models.PayloadSchemaType.KEYWORD,
    "keywords": models.PayloadSchemaType.KEYWORD,
    "price": models.PayloadSchemaType.FLOAT,
    "stock": models.PayloadSchemaType.INTEGER,
    "in_stock": models.PayloadSchemaType.BOOL,
    "active": models.PayloadSchemaType.BOOL,
    "document_id": models.PayloadSchemaType.KEYWORD,
    "version": models.PayloadSchemaType.INTEGER,
}


class IndexMismatchError(RuntimeError):
    """The collection exists with another vector size: the embedder changed, reindex."""


def _match(key: str, value: str | int | bool) -> models.FieldCondition:
    return models.FieldCondition(key=key, match=models.MatchValue(value=value))


def _scope(tenant_id: str, *conditions: models.Condition) -> models.Filter:
    """A filter confined to one tenant: the only way this module builds a filter."""
    return models.Filter(must=[_match("tenant_id", checked_tenant_id(tenant_id)), *conditions])


def _structured(query: SearchQuery) -> list[models.Condition]:
    """The query's structured filters; inactive entities are never searchable."""
    conditions: list[models.Condition] = [_match("active", True)]
    if query.kinds:
        conditions.append(
            models.FieldCondition(key="kind", match=models.MatchAny(any=list(query.kinds)))
        )
    if query.category:
        conditions.append(_match("category", query.category))
    if query.colour:
        conditions.append(_match("colour", query.colour))
    conditions.extend(_match(f"facets.{k}", v) for k, v in query.facets.items())
    if query.min_price is not None or query.max_price is not None:
        low, high = query.min_price, query.max_price
        conditions.append(
            models.FieldCondition(
                key="price",
                range=models.Range(
                    gte=None if low is None else float(low),
                    lte=None if high is None else float(high),
                ),
            )
        )
    if query.in_stock_only:
        conditions.append(_match("in_stock", True))
    return conditions


QUERY_CACHE_SIZE = 1024
"""Search texts whose vectors are kept, as float32 arrays (2 KB each at 512 dimensions)."""


class KnowledgeIndex:
    """Upsert, delete and hybrid-search tenants' catalog documents in Qdrant."""

    def __init__(
        self,
        client: AsyncQdrantClient,
        embedder: AnyEmbedder,
        *,
        collection: str = DEFAULT_COLLECTION,
        payload_indexes: bool = True,
        candidate_pool: int = CANDIDATE_POOL,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._embedder = embedder
        self._collection = collection
        self._payload_indexes = payload_indexes
        self._pool = candidate_pool
        self._clock = clock
        self._ready = False
        self._ready_lock = asyncio.Lock()
        self._query_vectors: OrderedDict[str, array[float]] = OrderedDict()
        """The vectors of recent search texts, least recently used first: a question asked
        again ("avete vino rosso?", every shop's customers ask the same things) costs no
        forward pass. A vector depends on the text and the embedder only, never a tenant."""

    @classmethod
    def open(
        cls,
        embedder: AnyEmbedder,
        *,
        path: str | Path | None = None,
        url: str | None = None,
        api_key: str | None = None,
        collection: str = DEFAULT_COLLECTION,
        timeout: int = 10,
        candidate_pool: int = CANDIDATE_POOL,
    ) -> KnowledgeIndex:
        """A server index when `url` is set, else an embedded one stored under `path`.

        Local mode ignores payload indexes (it scans), so they are only created on a server.
        """
        if url:
            client = AsyncQdrantClient(url=url, api_key=api_key, timeout=timeout)
            return cls(client, embedder, collection=collection, candidate_pool=candidate_pool)
        if path is None:
            raise ValueError("a Qdrant url or a local path is required")
        Path(path).mkdir(parents=True, exist_ok=True)
        client = AsyncQdrantClient(path=str(path))
        return cls(
            client,
            embedder,
            collection=collection,
            payload_indexes=False,
            candidate_pool=candidate_pool,
        )

    async def close(self) -> None:
        """Release the client (and the local path's lock)."""
        await self._client.close()

    @property
    def _indexes(self) -> dict[str, models.PayloadSchemaType | models.KeywordIndexParams]:
        return _PAYLOAD_INDEXES if self._payload_indexes else {}

    async def ensure_collection(self) -> None:
        """Create the collection (a first generation behind the alias, `generations.py`)
        unless it exists, and check its vector size; idempotent."""
        async with self._ready_lock:
            if self._ready:
                return
            physical = await served_collection(self._client, self._collection)
            if physical is None:
                generation = await create_generation(
                    self._client, self._collection, self._embedder.dim, self._indexes
                )
                await point_alias(self._client, self._collection, generation)
            else:
                size = await vector_size(self._client, physical)
                if size != self._embedder.dim:
                    raise IndexMismatchError(
                        f"collection {self._collection} holds {size}-d vectors, "
                        f"the embedder makes {self._embedder.dim}-d ones: re-index"
                    )
                for field, schema in self._indexes.items():
                    await self._client.create_payload_index(
                        physical, field_name=field, field_schema=schema
                    )
            self._ready = True

    async def reindex(self, tenant_id: str | None, progress: Progress) -> ReindexResult:
        """Re-embed every point (or one tenant's) with the current embedder into a new
        generation and switch search to it at once; the caller holds writes back meanwhile."""
        if tenant_id is not None:
            checked_tenant_id(tenant_id)
        # Not under `_ready_lock`: searches go on (against the old generation) meanwhile.
        result = await rebuild(
            self._client,
            self._embedder,
            self._collection,
            tenant_id=tenant_id,
            payload_indexes=self._indexes,
            progress=progress,
        )
        self._ready = True
        return result

    async def embed(self, text: str) -> EmbeddedText:
        """Embed a document's text ahead of its write (`upsert(doc, embedded)`), so that a
        caller holding a database lock for the write does not hold it while embedding."""
        [vector] = await embed_texts(self._embedder, [text])
        return EmbeddedText(text, vector)

    async def upsert(self, doc: IndexDocument, embedded: EmbeddedText | None = None) -> None:
        """Index one document, replacing its previous version; `embedded` is reused when it
        is the embedding of the document's text."""
        await self.upsert_many([doc], () if embedded is None else (embedded,))

    async def upsert_many(
        self, docs: Sequence[IndexDocument], embedded: Sequence[EmbeddedText] = ()
    ) -> None:
        """Index documents, replacing previous versions: texts not already `embedded` are
        embedded in one batch."""
        if not docs:
            return
        for doc in docs:
            checked_tenant_id(doc.tenant_id)
        await self.ensure_collection()
        known = {e.text: e.vector for e in embedded}
        missing = list(dict.fromkeys(d.text for d in docs if d.text not in known))
        known.update(zip(missing, await embed_texts(self._embedder, missing), strict=True))
        points = [
            models.PointStruct(id=d.point_id, vector=known[d.text], payload=d.payload) for d in docs
        ]
        await self._client.upsert(self._collection, points=points, wait=True)

    async def set_stock(
        self, tenant_id: str, entity_id: str, stock: int | None, in_stock: bool | None = None
    ) -> None:
        """Rewrite a product's stock fields in place, without re-embedding it."""
        await self.ensure_collection()
        await self._client.set_payload(
            self._collection,
            payload=stock_payload(stock, in_stock),
            points=_scope(tenant_id, _match("kind", "product"), _match("entity_id", entity_id)),
            wait=True,
        )

    async def delete(self, tenant_id: str, entity_id: str, kind: Kind | None = None) -> None:
        """Remove an entity's document(s) from the tenant's index; a no-op when absent."""
        await self.ensure_collection()
        conditions = [_match("entity_id", entity_id)]
        if kind is not None:
            conditions.append(_match("kind", kind))
        selector = models.FilterSelector(filter=_scope(tenant_id, *conditions))
        await self._client.delete(self._collection, points_selector=selector, wait=True)

    async def count(self, tenant_id: str, kind: Kind | None = None) -> int:
        """How many documents the tenant has indexed (of one kind, when given)."""
        await self.ensure_collection()
        conditions = [] if kind is None else [_match("kind", kind)]
        result = await self._client.count(
            self._collection, count_filter=_scope(tenant_id, *conditions), exact=True
        )
        return result.count

    # -- passages of uploaded documents ----------------------------------------------------

    async def activate_version(self, tenant_id: str, document_id: str, version: int) -> None:
        """Make `version`'s passages searchable and drop the older versions', in one batch
        request: search moves from the old version to the new one without a gap. A newer
        version's passages (being written, not yet switched on) are left alone."""
        await self.ensure_collection()
        document = (_match("kind", "document"), _match("document_id", document_id))
        this = _match("version", version)
        older = models.FieldCondition(key="version", range=models.Range(lt=version))
        await self._client.batch_update_points(
            self._collection,
            update_operations=[
                models.SetPayloadOperation(
                    set_payload=models.SetPayload(
                        payload={"active": True}, filter=_scope(tenant_id, *document, this)
                    )
                ),
                models.DeleteOperation(
                    delete=models.FilterSelector(filter=_scope(tenant_id, *document, older))
                ),
            ],
            wait=True,
        )

    async def delete_document(
        self, tenant_id: str, document_id: str, version: int | None = None
    ) -> None:
        """Remove a document's passages (of one version when given); a no-op when absent."""
        await self.ensure_collection()
        conditions = [_match("kind", "document"), _match("document_id", document_id)]
        if version is not None:
            conditions.append(_match("version", version))
        selector = models.FilterSelector(filter=_scope(tenant_id, *conditions))
        await self._client.delete(self._collection, points_selector=selector, wait=True)

    async def count_passages(self, tenant_id: str, document_id: str | None = None) -> int:
        """How many passages the tenant (or one of its documents) has in the index, of any
        version, searchable or not: zero means nothing of it is left."""
        await self.ensure_collection()
        conditions = [_match("kind", "document")]
        if document_id is not None:
            conditions.append(_match("document_id", document_id))
        result = await self._client.count(
            self._collection, count_filter=_scope(tenant_id, *conditions), exact=True
        )
        return result.count

    async def search(self, tenant_id: str, query: SearchQuery) -> list[Hit]:
        """The tenant's best documents for the query: filtered in Qdrant, fused and ordered."""
        await self.ensure_collection()
        scope = _scope(tenant_id, *_structured(query))
        if not query.text.strip():
            candidates = await self._browse(scope, query)
        else:
            vector = await self._query_vector(query.text)
            candidates = await self._nearest(scope, vector, terms(query.text))
        return rank(tenant_id, query, candidates, now=self._clock())

    async def _query_vector(self, text: str) -> list[float]:
        """The search text's vector, from the last `QUERY_CACHE_SIZE` texts when seen."""
        known = self._query_vectors.get(text)
        if known is not None:
            self._query_vectors.move_to_end(text)
            return known.tolist()
        [vector] = await embed_texts(self._embedder, [text])
        self._query_vectors[text] = array("f", vector)
        if len(self._query_vectors) > QUERY_CACHE_SIZE:
            self._query_vectors.popitem(last=False)
        return vector

    async def _nearest(
        self, scope: models.Filter, vector: list[float], query_terms: frozenset[str]
    ) -> list[Candidate]:
        # The vector neighbours, plus the documents sharing a keyword with the query that
        # the vectors ranked too low to be among them (an exact product name, a colour).
        # When the neighbours are fewer than the pool, they are every document in scope and
        # the keyword query could only return some of them again: it is skipped. (Embedded
        # Qdrant evaluates each query's filter on every point in Python: that second query
        # was a quarter of ingest's CPU per customer message, docs/benchmarks.md.)
        nearest = await self._client.query_points(
            self._collection, query=vector, query_filter=scope, limit=self._pool
        )
        points = list(nearest.points)
        if query_terms and len(points) >= self._pool:
            has_keyword = models.FieldCondition(
                key="keywords", match=models.MatchAny(any=sorted(query_terms))
            )
            by_keyword = await self._client.query_points(
                self._collection,
                query=vector,
                query_filter=models.Filter(must=[scope, has_keyword]),
                limit=self._pool,
            )
            points.extend(by_keyword.points)
        return [Candidate(point.payload or {}, point.score) for point in points]

    async def _browse(self, scope: models.Filter, query: SearchQuery) -> list[Candidate]:
        # No text: filters alone pick the documents; a price order comes from Qdrant.
        order_by = None
        if query.order != "relevance":
            direction = (
                models.Direction.ASC if query.order == "price_asc" else models.Direction.DESC
            )
            order_by = models.OrderBy(key="price", direction=direction)
        points, _ = await self._client.scroll(
            self._collection, scroll_filter=scope, limit=self._pool, order_by=order_by
        )
        return [Candidate(point.payload or {}, 0.0) for point in points]
