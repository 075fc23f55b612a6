"""Index generations: the served collection name is a Qdrant alias onto a physical collection
(`<name>__<generation>`), so a re-index can build a whole new generation beside the one search
uses and switch the alias in one request.

A re-index reads every point's payload (which keeps the text it was embedded from), embeds
the text again with the current embedder, and writes the point with the same id and payload
into the new generation; for one tenant, the other tenants' points are copied with their
vectors as they are. Search keeps answering from the old generation until the switch. A served
name that is still a plain collection (made before generations) is replaced by the alias at
the first re-index: the only moment, once, where another replica may see it missing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from qdrant_client import AsyncQdrantClient, models

from bancone_ingest.adapters.embedder import AnyEmbedder, embed_texts

BATCH = 64

Progress = Callable[[int, int], None]
"""Called with (points done, points total) after each batch."""


class ReindexError(RuntimeError):
    """A re-index that cannot be done as asked (a tenant alone when the vector size changed)."""


@dataclass(frozen=True)
class ReindexResult:
    generation: str
    reembedded: int
    copied: int


def _tenant_filter(tenant_id: str, *, others: bool = False) -> models.Filter:
    match = models.FieldCondition(key="tenant_id", match=models.MatchValue(value=tenant_id))
    return models.Filter(must_not=[match]) if others else models.Filter(must=[match])


async def served_collection(client: AsyncQdrantClient, name: str) -> str | None:
    """The physical collection behind `name` (an alias, or a plain collection), or None."""
    aliases = await client.get_aliases()
    for alias in aliases.aliases:
        if alias.alias_name == name:
            return alias.collection_name
    return name if await client.collection_exists(name) else None


async def vector_size(client: AsyncQdrantClient, collection: str) -> int | None:
    info = await client.get_collection(collection)
    vectors = info.config.params.vectors
    return vectors.size if isinstance(vectors, models.VectorParams) else None


async def create_generation(
    client: AsyncQdrantClient,
    name: str,
    dim: int,
    payload_indexes: Mapping[str, models.PayloadSchemaType | models.KeywordIndexParams],
) -> str:
    """A new empty physical collection for `name`, with its payload indexes."""
    generation = f"{name}__{uuid.uuid4().hex[:12]}"
    await client.create_collection(
        generation,
        vectors_config=models.VectorParams(size=dim, distance=models.Distance.COSINE),
    )
    for field, schema in payload_indexes.items():
        await client.create_payload_index(generation, field_name=field, field_schema=schema)
    return generation


async def point_alias(client: AsyncQdrantClient, name: str, generation: str) -> None:
    """Make `name` serve `generation`: one atomic alias update when `name` is an alias."""
    current = await served_collection(client, name)
    if current == name:  # a plain collection from before generations: replaced, once
        await client.delete_collection(name)
    operations: list[models.AliasOperations] = []
    if current is not None and current != name:
        operations.append(
            models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=name))
        )
    operations.append(
        models.CreateAliasOperation(
            create_alias=models.CreateAlias(collection_name=generation, alias_name=name)
        )
    )
    await client.update_collection_aliases(change_aliases_operations=operations)


async def _count(client: AsyncQdrantClient, collection: str, scope: models.Filter | None) -> int:
    return (await client.count(collection, count_filter=scope, exact=True)).count


async def rebuild(
    client: AsyncQdrantClient,
    embedder: AnyEmbedder,
    name: str,
    *,
    tenant_id: str | None,
    payload_indexes: Mapping[str, models.PayloadSchemaType | models.KeywordIndexParams],
    progress: Progress,
) -> ReindexResult:
    """Build a new generation of `name` (re-embedding everything, or one tenant's points and
    copying the rest), switch `name` to it, drop the old one. The caller keeps writes out
    meanwhile; searches go on against the old generation."""
    source = await served_collection(client, name)
    target = await create_generation(client, name, embedder.dim, payload_indexes)
    reembed = _tenant_filter(tenant_id) if tenant_id is not None else None
    copied = reembedded = 0
    try:
        if source is not None:
            if tenant_id is not None:
                if await vector_size(client, source) != embedder.dim:
                    raise ReindexError(
                        "the embedder makes vectors of another size: re-index every tenant"
                    )
                copied = await _copy(client, source, target, _tenant_filter(tenant_id, others=True))
            reembedded = await _reembed(client, embedder, source, target, reembed, progress)
        else:
            progress(0, 0)
        await point_alias(client, name, target)
    except BaseException:
        await client.delete_collection(target)
        raise
    if source is not None and source != name:
        await client.delete_collection(source)
    return ReindexResult(target, reembedded, copied)


async def _copy(client: AsyncQdrantClient, source: str, target: str, scope: models.Filter) -> int:
    copied, offset = 0, None
    while True:
        points, offset = await client.scroll(
            source,
            scroll_filter=scope,
            limit=BATCH,
            offset=offset,
            with_payload=True,
            with_vectors=True,
        )
        batch = [models.PointStruct(id=p.id, vector=p.vector, payload=p.payload) for p in points]
        if batch:
            await client.upsert(target, points=batch, wait=True)
        copied += len(batch)
        if offset is None:
            return copied


async def _reembed(
    client: AsyncQdrantClient,
    embedder: AnyEmbedder,
    source: str,
    target: str,
    scope: models.Filter | None,
    progress: Progress,
) -> int:
    total = await _count(client, source, scope)
    done, offset = 0, None
    progress(done, total)
    while True:
        points, offset = await client.scroll(
            source, scroll_filter=scope, limit=BATCH, offset=offset, with_payload=True
        )
        if points:
            texts = [str((p.payload or {}).get("text", "")) for p in points]
            vectors = await embed_texts(embedder, texts)
            batch = [
                models.PointStruct(id=p.id, vector=v, payload=p.payload)
                for p, v in zip(points, vectors, strict=True)
            ]
            await client.upsert(target, points=batch, wait=True)
            done += len(batch)
            progress(done, max(total, done))
        if offset is None:
            return done
