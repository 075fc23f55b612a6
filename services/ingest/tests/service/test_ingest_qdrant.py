"""The knowledge index on embedded Qdrant with the real offline embedder.

Two shops share one collection: tests prove a tenant only ever sees its own documents,
that deletes and stock changes land, and that filters and it/en/es questions find the
right product.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bancone_ingest.adapters.embedder import UniversalSentenceEncoder
from bancone_ingest.adapters.vectors import IndexMismatchError, KnowledgeIndex
from bancone_ingest.domain import (
    CatalogEntity,
    Faq,
    Offer,
    Product,
    SearchQuery,
    build_document,
)
from bancone_ingest.domain.chunking import Chunk
from bancone_ingest.domain.passages import DocumentVersion, passage_document

pytestmark = pytest.mark.service

SHOP_A = "enoteca-a"
SHOP_B = "enoteca-b"


def red(entity_id: str, name: str, price: str, description: str, stock: int = 10) -> Product:
    return Product(
        id=entity_id,
        name=name,
        price=Decimal(price),
        description=description,
        category="vino-rosso",
        stock=stock,
        attributes={"colour": "red"},
        tags=("vino",),
    )


CATALOG_A: list[CatalogEntity] = [
    red(
        "p-chianti", "Chianti Classico 2021", "16.50", "Rosso toscano sapido, per bistecca e ragù."
    ),
    red(
        "p-montepulciano",
        "Montepulciano d'Abruzzo 2022",
        "8.90",
        "Rosso morbido da tutti i giorni.",
    ),
    red("p-amarone", "Amarone della Valpolicella 2018", "55.00", "Rosso potente da meditazione."),
    Product(
        id="p-vermentino",
        name="Vermentino di Gallura 2023",
        price=Decimal("13.00"),
        description="Bianco secco e minerale per pesce e frutti di mare.",
        category="vino-bianco",
        stock=12,
        attributes={"colour": "white"},
    ),
    Product(
        id="p-prosecco",
        name="Prosecco Superiore Brut",
        price=Decimal("13.50"),
        description="Spumante fresco dalle bollicine fini, per l'aperitivo e i brindisi.",
        category="spumante",
        stock=20,
        attributes={"colour": "sparkling"},
    ),
    Product(
        id="p-pecorino",
        name="Pecorino Romano DOP 500 g",
        price=Decimal("12.00"),
        description="Formaggio di latte di pecora, stagionato e sapido.",
        category="formaggi",
        stock=5,
    ),
    Product(
        id="p-olio",
        name="Olio extravergine di oliva toscano 0,75 l",
        price=Decimal("18.00"),
        description="Olio fruttato spremuto a freddo.",
        category="olio",
        stock=7,
    ),
    Faq(
        id="faq-shipping",
        question="Quanto costa la spedizione?",
        answer="Spedizione gratuita sopra i 59 euro, altrimenti 6,90 euro; consegna in 24-48 ore.",
    ),
    Faq(
        id="faq-hours",
        question="Quali sono gli orari di apertura?",
        answer="Dal martedì al sabato, 9:30-13:00 e 16:00-19:30.",
    ),
]
CATALOG_B: list[CatalogEntity] = [
    red("p-barolo", "Barolo DOCG 2019", "42.00", "Rosso delle Langhe, nebbiolo in purezza."),
    # Same entity id as a product of shop A: the tenants' points must stay apart.
    red("p-chianti", "Chianti Rufina 2020", "14.00", "Rosso toscano di collina."),
]


@pytest.fixture(scope="session")
def embedder() -> UniversalSentenceEncoder:
    model = UniversalSentenceEncoder()
    model.load()
    return model


@pytest.fixture
async def index(
    tmp_path: Path, embedder: UniversalSentenceEncoder
) -> AsyncIterator[KnowledgeIndex]:
    knowledge = KnowledgeIndex.open(embedder, path=tmp_path / "qdrant")
    await knowledge.upsert_many([build_document(SHOP_A, e) for e in CATALOG_A])
    await knowledge.upsert_many([build_document(SHOP_B, e) for e in CATALOG_B])
    yield knowledge
    await knowledge.close()


def ids(hits: Sequence[object]) -> list[str]:
    return [h.entity_id for h in hits]  # type: ignore[attr-defined]


async def test_tenant_a_never_gets_tenant_b_barolo_even_asking_by_name(
    index: KnowledgeIndex,
) -> None:
    hits = await index.search(SHOP_A, SearchQuery(text="Avete il Barolo DOCG 2019?", limit=50))

    assert hits, "shop A still gets its own wines"
    assert "p-barolo" not in ids(hits)
    assert {h.payload["tenant_id"] for h in hits} == {SHOP_A}
    assert all("Barolo" not in h.title for h in hits)


async def test_tenant_b_finds_its_barolo_by_name(index: KnowledgeIndex) -> None:
    hits = await index.search(SHOP_B, SearchQuery(text="Barolo"))

    assert ids(hits)[0] == "p-barolo"
    assert {h.payload["tenant_id"] for h in hits} == {SHOP_B}


async def test_same_entity_id_in_two_tenants_stays_two_documents(index: KnowledgeIndex) -> None:
    a = await index.search(SHOP_A, SearchQuery(text="Chianti", limit=1))
    b = await index.search(SHOP_B, SearchQuery(text="Chianti", limit=1))

    assert (a[0].entity_id, a[0].title) == ("p-chianti", "Chianti Classico 2021")
    assert (b[0].entity_id, b[0].title) == ("p-chianti", "Chianti Rufina 2020")


async def test_delete_removes_only_that_tenants_document(index: KnowledgeIndex) -> None:
    before = await index.count(SHOP_A)

    await index.delete(SHOP_A, "p-chianti")

    assert await index.count(SHOP_A) == before - 1
    assert "p-chianti" not in ids(await index.search(SHOP_A, SearchQuery(text="Chianti", limit=50)))
    assert ids(await index.search(SHOP_B, SearchQuery(text="Chianti", limit=1))) == ["p-chianti"]


async def test_delete_of_an_unknown_entity_is_a_no_op(index: KnowledgeIndex) -> None:
    before = await index.count(SHOP_A)

    await index.delete(SHOP_A, "p-nothing", kind="product")

    assert await index.count(SHOP_A) == before


async def test_reindexing_replaces_the_document(index: KnowledgeIndex) -> None:
    before = await index.count(SHOP_A)
    repriced = red("p-chianti", "Chianti Classico 2021", "15.00", "Rosso toscano sapido.")

    await index.upsert(build_document(SHOP_A, repriced))

    assert await index.count(SHOP_A) == before
    [hit] = await index.search(SHOP_A, SearchQuery(text="Chianti", limit=1))
    assert hit.payload["price_text"] == "15.00"


async def test_cheap_red_wine_with_colour_filter_and_price_order_puts_cheaper_red_first(
    index: KnowledgeIndex,
) -> None:
    query = SearchQuery(text="a cheap red wine", attributes={"colour": "red"}, order="price_asc")

    hits = await index.search(SHOP_A, query)

    assert ids(hits) == ["p-montepulciano", "p-chianti", "p-amarone"]


async def test_colour_filter_accepts_the_customers_word(index: KnowledgeIndex) -> None:
    hits = await index.search(SHOP_A, SearchQuery(text="vino", attributes={"colour": "bianco"}))

    assert ids(hits) == ["p-vermentino"]


async def test_price_range_keeps_only_products_inside_it(index: KnowledgeIndex) -> None:
    query = SearchQuery(text="vino rosso", max_price=Decimal("20"), limit=50)

    hits = await index.search(SHOP_A, query)

    assert "p-amarone" not in ids(hits)
    assert {"p-chianti", "p-montepulciano"} <= set(ids(hits))
    assert all(Decimal(h.payload["price_text"]) <= 20 for h in hits)
    assert {h.kind for h in hits} == {"product"}


async def test_category_and_kind_filters_narrow_the_hits(index: KnowledgeIndex) -> None:
    cheese = await index.search(SHOP_A, SearchQuery(text="qualcosa", category="formaggi"))
    faqs = await index.search(SHOP_A, SearchQuery(text="spedizione", kinds=("faq",)))

    assert ids(cheese) == ["p-pecorino"]
    assert {h.kind for h in faqs} == {"faq"}
    assert ids(faqs)[0] == "faq-shipping"


async def test_inactive_products_are_not_returned(index: KnowledgeIndex) -> None:
    retired = Product(
        id="p-amarone", name="Amarone della Valpolicella 2018", price=Decimal("55"), active=False
    )

    await index.upsert(build_document(SHOP_A, retired))

    assert "p-amarone" not in ids(await index.search(SHOP_A, SearchQuery(text="Amarone", limit=50)))


async def test_stock_change_hides_the_product_from_in_stock_searches(
    index: KnowledgeIndex,
) -> None:
    await index.set_stock(SHOP_A, "p-pecorino", 0)

    in_stock = await index.search(
        SHOP_A, SearchQuery(text="pecorino", in_stock_only=True, limit=50)
    )
    anyway = await index.search(SHOP_A, SearchQuery(text="pecorino", limit=1))

    assert "p-pecorino" not in ids(in_stock)
    assert ids(anyway) == ["p-pecorino"]
    assert anyway[0].payload["stock"] == 0


async def test_expired_offer_is_not_returned(index: KnowledgeIndex) -> None:
    now = datetime.now(UTC)
    await index.upsert_many(
        [
            build_document(
                SHOP_A,
                Offer(
                    id="o-old", title="Sconto estate sui rossi", valid_until=now - timedelta(days=1)
                ),
            ),
            build_document(
                SHOP_A,
                Offer(
                    id="o-new",
                    title="Sconto Natale sui rossi",
                    valid_until=now + timedelta(days=30),
                ),
            ),
        ]
    )

    hits = await index.search(SHOP_A, SearchQuery(text="sconto", kinds=("offer",)))

    assert ids(hits) == ["o-new"]


async def test_empty_text_browses_by_filters_and_price(index: KnowledgeIndex) -> None:
    query = SearchQuery(category="vino-rosso", order="price_desc", limit=2)

    hits = await index.search(SHOP_A, query)

    assert ids(hits) == ["p-amarone", "p-chianti"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("un vino bianco per il pesce", "p-vermentino"),
        ("bollicine per l'aperitivo", "p-prosecco"),
        ("a white wine for seafood", "p-vermentino"),
        ("sparkling wine for a toast", "p-prosecco"),
        ("extra virgin olive oil", "p-olio"),
        ("how much does shipping cost?", "faq-shipping"),
        ("queso de oveja", "p-pecorino"),
        ("¿a qué hora abrís?", "faq-hours"),
        ("un vino tinto para la carne", "p-chianti"),
    ],
)
async def test_italian_english_and_spanish_questions_find_the_right_document(
    index: KnowledgeIndex, text: str, expected: str
) -> None:
    hits = await index.search(SHOP_A, SearchQuery(text=text, limit=3))

    assert ids(hits)[0] == expected


async def test_documents_survive_reopening_the_local_path(
    tmp_path: Path, embedder: UniversalSentenceEncoder
) -> None:
    path = tmp_path / "persisted"
    first = KnowledgeIndex.open(embedder, path=path)
    await first.upsert(build_document(SHOP_B, CATALOG_B[0]))
    await first.close()

    second = KnowledgeIndex.open(embedder, path=path)
    try:
        assert ids(await second.search(SHOP_B, SearchQuery(text="Barolo"))) == ["p-barolo"]
    finally:
        await second.close()


class ThreeDimensions:
    """A stand-in embedder of another size: only its dimension matters here."""

    dim = 3

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [[1.0, 0.0, 0.0] for _ in texts]


async def test_an_embedder_of_another_size_is_refused(
    tmp_path: Path, embedder: UniversalSentenceEncoder
) -> None:
    path = tmp_path / "sized"
    first = KnowledgeIndex.open(embedder, path=path)
    await first.ensure_collection()
    await first.close()

    other = KnowledgeIndex.open(ThreeDimensions(), path=path)
    try:
        with pytest.raises(IndexMismatchError):
            await other.ensure_collection()
    finally:
        await other.close()


async def test_an_invalid_tenant_id_never_reaches_qdrant(index: KnowledgeIndex) -> None:
    with pytest.raises(ValueError, match="invalid tenant id"):
        await index.search("", SearchQuery(text="Barolo"))
    with pytest.raises(ValueError, match="invalid tenant id"):
        await index.delete("*", "p-barolo")


class CountingEmbedder:
    """The real encoder, remembering every text it was asked to embed."""

    def __init__(self, inner: UniversalSentenceEncoder) -> None:
        self._inner = inner
        self.dim = inner.dim
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.texts.extend(texts)
        return self._inner.embed(texts)


async def test_an_upsert_reuses_a_vector_made_ahead_only_for_its_own_text(
    tmp_path: Path, embedder: UniversalSentenceEncoder
) -> None:
    counting = CountingEmbedder(embedder)
    knowledge = KnowledgeIndex.open(counting, path=tmp_path / "qdrant")
    try:
        chianti, montepulciano = (build_document(SHOP_A, e) for e in CATALOG_A[:2])
        ahead = await knowledge.embed(chianti.text)

        await knowledge.upsert(chianti, ahead)
        await knowledge.upsert(montepulciano, ahead)

        assert counting.texts == [chianti.text, montepulciano.text]
        hits = await knowledge.search(SHOP_A, SearchQuery(text="Montepulciano d'Abruzzo"))
        assert ids(hits)[0] == "p-montepulciano"
    finally:
        await knowledge.close()


async def test_switching_a_version_on_drops_older_versions_but_not_a_newer_one_being_written(
    tmp_path: Path, embedder: UniversalSentenceEncoder
) -> None:
    knowledge = KnowledgeIndex.open(embedder, path=tmp_path / "qdrant")
    try:
        for version in (1, 2, 3):
            source = DocumentVersion(SHOP_A, "terms", version, "Terms", "en")
            chunk = Chunk(0, f"Returns are accepted within {10 * version} days.", 1, None)
            await knowledge.upsert_many([passage_document(source, chunk)])

        await knowledge.activate_version(SHOP_A, "terms", 2)

        assert await knowledge.count_passages(SHOP_A, "terms") == 2  # v2 on, v3 untouched
        hits = await knowledge.search(SHOP_A, SearchQuery(text="returns", kinds=("document",)))
        assert [h.payload["version"] for h in hits] == [2]
        await knowledge.activate_version(SHOP_A, "terms", 3)
        assert await knowledge.count_passages(SHOP_A, "terms") == 1
    finally:
        await knowledge.close()


async def test_a_search_text_asked_again_is_not_embedded_again_and_finds_the_same(
    tmp_path: Path, embedder: UniversalSentenceEncoder
) -> None:
    counting = CountingEmbedder(embedder)
    knowledge = KnowledgeIndex.open(counting, path=tmp_path / "qdrant")
    try:
        await knowledge.upsert_many([build_document(SHOP_A, e) for e in CATALOG_A])
        await knowledge.upsert_many([build_document(SHOP_B, e) for e in CATALOG_B])
        counting.texts.clear()

        first = await knowledge.search(SHOP_A, SearchQuery(text="un rosso per la bistecca"))
        again = await knowledge.search(SHOP_A, SearchQuery(text="un rosso per la bistecca"))
        other_shop = await knowledge.search(SHOP_B, SearchQuery(text="un rosso per la bistecca"))
        await knowledge.search(SHOP_A, SearchQuery(text="bollicine per l'aperitivo"))

        assert counting.texts == ["un rosso per la bistecca", "bollicine per l'aperitivo"]
        assert ids(again) == ids(first)
        assert ids(first)[0] == "p-chianti"
        # the vector is shared, the hits never: shop B's own Chianti, not shop A's
        assert set(ids(other_shop)) <= {e.id for e in CATALOG_B}
        assert all(h.payload["tenant_id"] == SHOP_B for h in other_shop)
    finally:
        await knowledge.close()


@pytest.mark.parametrize(("pool", "queries"), [(64, 1), (1, 2)])
async def test_the_keyword_query_runs_only_when_the_vector_neighbours_fill_the_pool(
    tmp_path: Path,
    embedder: UniversalSentenceEncoder,
    monkeypatch: pytest.MonkeyPatch,
    pool: int,
    queries: int,
) -> None:
    """Fewer neighbours than the pool are every document in scope: a keyword query could only
    return some of them again. A full pool may have left a keyword match out: it runs."""
    knowledge = KnowledgeIndex.open(embedder, path=tmp_path / "qdrant", candidate_pool=pool)
    try:
        await knowledge.upsert_many([build_document(SHOP_B, e) for e in CATALOG_B])
        client = knowledge._client  # counting what reaches Qdrant
        calls: list[object] = []
        query_points = client.query_points

        async def counted(*args: object, **kwargs: object) -> object:
            calls.append(kwargs.get("query_filter"))
            return await query_points(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(client, "query_points", counted)
        hits = await knowledge.search(SHOP_B, SearchQuery(text="Barolo"))
    finally:
        await knowledge.close()

    assert len(calls) == queries
    assert ids(hits)[0] == "p-barolo"
