"""Re-indexing after the embedder changed, through the running ingest's API (real PostgreSQL,
Kafka, embedded Qdrant, the offline encoder): every passage, product and FAQ is embedded again,
search answers from the old vectors while the new ones are written (writes wait), the switch
loses and duplicates nothing, and a one-tenant run leaves the other tenants' points as they were.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from bancone_ingest.adapters.embedder import UniversalSentenceEncoder
from bancone_ingest.handlers import handle_catalog_change
from bancone_kit.testing.polling import eventually
from bancone_kit.testing.tokens import bearer
from services.ingest.tests.support import faq_upserted, new_tenant, product_upserted
from services.ingest.tests.support_documents import WARRANTY_PAGES, make_pdf
from services.ingest.tests.support_ingest import PDF, Ingest, IngestFactory

pytestmark = pytest.mark.service


class NewEncoder:
    """Stands for a changed embedder: the real encoder's vectors, cut to `dim` (a new size) or
    kept whole. It counts the texts it embeds in batches (a query is one text) and, with
    `hold`, holds every batch until released, so a run can be caught midway."""

    def __init__(
        self, inner: UniversalSentenceEncoder, dim: int | None = None, *, hold: bool = False
    ) -> None:
        self._inner = inner
        self.dim = dim or inner.dim
        self.batched = 0
        self.held = asyncio.Event()
        self.release = asyncio.Event()
        if not hold:
            self.release.set()

    async def aembed(self, texts: Sequence[str]) -> list[list[float]]:
        if len(texts) > 1:
            self.held.set()
            await self.release.wait()
            self.batched += len(texts)
        vectors = np.asarray(await asyncio.to_thread(self._inner.embed, texts))[:, : self.dim]
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return [list(map(float, v)) for v in vectors]


async def _seed(ingest: Ingest, tenant: str) -> None:
    """A document, a product and a FAQ for the tenant, all indexed."""
    document = await ingest.uploaded(
        tenant, "warranty.pdf", make_pdf(WARRANTY_PAGES), content_type=PDF, title="Warranty terms"
    )
    assert (await ingest.finished(tenant, document))["state"] == "indexed"
    deps = ingest.app.state.deps
    await handle_catalog_change(
        product_upserted(tenant, "p1", name="Barolo DOCG 2019", description="Nebbiolo"), deps
    )
    await handle_catalog_change(
        faq_upserted(tenant, "f1", question="Spedite all'estero?", answer="Sì, in tutta Europa."),
        deps,
    )


async def _reindex(ingest: Ingest, tenant: str | None = None) -> dict[str, Any]:
    platform = bearer(ingest.signer.platform())
    response = await ingest.http.post("/v1/reindex", json={"tenant_id": tenant}, headers=platform)
    assert response.status_code == 202, response.text
    run: dict[str, Any] = response.json()
    assert run["state"] == "running"
    return run


async def _finished(ingest: Ingest, run: dict[str, Any]) -> dict[str, Any]:
    platform = bearer(ingest.signer.platform())

    async def probe() -> dict[str, Any] | None:
        body: dict[str, Any] = (
            await ingest.http.get(f"/v1/reindex/{run['run_id']}", headers=platform)
        ).json()
        return body if body["state"] != "running" else None

    return await eventually(probe, within=120)


async def _counts(ingest: Ingest, tenant: str) -> tuple[int, int]:
    """(points of every kind, of which document passages) the tenant has in the index."""
    index = ingest.app.state.index
    return await index.count(tenant), await index.count_passages(tenant)


async def test_search_answers_from_the_old_vectors_until_the_new_ones_are_all_in(
    start_ingest: IngestFactory, encoder: UniversalSentenceEncoder
) -> None:
    shop, other = new_tenant("shop"), new_tenant("other")
    async with start_ingest() as ingest:
        await _seed(ingest, shop)
        await _seed(ingest, other)
        before = {t: await _counts(ingest, t) for t in (shop, other)}
        refused = await ingest.http.post("/v1/reindex", json={})  # the shop's own owner
        assert refused.status_code == 403

    new = NewEncoder(encoder, hold=True)  # same size; its batches wait for the test
    async with start_ingest(embedder=new) as ingest:
        run = await _reindex(ingest)
        await asyncio.wait_for(new.held.wait(), 60)
        busy = await ingest.http.post(
            "/v1/reindex", json={}, headers=bearer(ingest.signer.platform())
        )
        assert busy.status_code == 409
        # Mid-run: search still answers (from the old generation), a write waits for the switch.
        [hit, *_] = await ingest.passages(shop, "How long does the warranty last?")
        assert hit["citation"] == "Warranty terms, p. 2"
        write = asyncio.create_task(
            handle_catalog_change(
                product_upserted(shop, "p2", name="Nebbiolo Langhe"), ingest.app.state.deps
            )
        )
        await asyncio.sleep(0.5)
        assert not write.done()
        new.release.set()
        done = await _finished(ingest, run)
        await asyncio.wait_for(write, 30)

        assert done["state"] == "done", done
        assert done["points_done"] == done["points_total"] == sum(c[0] for c in before.values())
        assert new.batched == done["points_total"]  # every point embedded again, once
        assert await _counts(ingest, shop) == (before[shop][0] + 1, before[shop][1])
        assert await _counts(ingest, other) == before[other]
        [hit, *_] = await ingest.passages(shop, "How long does the warranty last?")
        assert hit["citation"] == "Warranty terms, p. 2"


async def test_a_new_vector_size_needs_every_tenant_reindexed_and_then_search_works_again(
    start_ingest: IngestFactory, encoder: UniversalSentenceEncoder
) -> None:
    shop, other = new_tenant("shop"), new_tenant("other")
    async with start_ingest() as ingest:
        await _seed(ingest, shop)
        await _seed(ingest, other)
        before = {t: await _counts(ingest, t) for t in (shop, other)}

    smaller = NewEncoder(encoder, dim=256)
    async with start_ingest(embedder=smaller) as ingest:
        ready = await ingest.http.get("/readyz")
        assert ready.status_code == 503
        search = await ingest.http.post(f"/v1/tenants/{shop}/search", json={"text": "warranty"})
        assert search.status_code == 503

        one = await _finished(ingest, await _reindex(ingest, shop))
        assert (one["state"], "another size" in (one["reason"] or "")) == ("failed", True)
        assert (await ingest.http.get("/readyz")).status_code == 503

        everything = await _finished(ingest, await _reindex(ingest))
        assert everything["state"] == "done", everything
        assert (await ingest.http.get("/readyz")).status_code == 200
        for tenant in (shop, other):
            assert await _counts(ingest, tenant) == before[tenant]
            [hit, *_] = await ingest.passages(tenant, "How long does the warranty last?")
            assert hit["citation"] == "Warranty terms, p. 2"

    async with start_ingest(embedder=smaller) as ingest:  # the switch survives a restart
        assert (await ingest.http.get("/readyz")).status_code == 200
        assert await _counts(ingest, shop) == before[shop]


async def test_a_one_tenant_run_reembeds_only_that_tenant(
    start_ingest: IngestFactory, encoder: UniversalSentenceEncoder
) -> None:
    shop, other = new_tenant("shop"), new_tenant("other")
    async with start_ingest() as ingest:
        await _seed(ingest, shop)
        await _seed(ingest, other)
        before = {t: await _counts(ingest, t) for t in (shop, other)}

    new = NewEncoder(encoder)
    async with start_ingest(embedder=new) as ingest:
        done = await _finished(ingest, await _reindex(ingest, shop))
        assert done["state"] == "done", done
        assert done["points_total"] == before[shop][0] == new.batched
        for tenant in (shop, other):
            assert await _counts(ingest, tenant) == before[tenant]
        [hit, *_] = await ingest.passages(other, "How long does the warranty last?")
        assert hit["citation"] == "Warranty terms, p. 2"
