"""Cross-language retrieval: recall@1 and @3 of the offline path's product ranking on
`cases/recall.json` (queries in English or Spanish for products the shops name in Italian).

    uv run python services/agent/eval/recall.py

Each query is read as the assistant reads it (`understand`: its keywords), every product of
the query's shop is ranked by how well it names those words (`offline.relevance`: a word in
the name weighs 3, in category/tags/attributes 2, in the description 1), ties broken by the
file's order, and products naming none are dropped (the relevance bar). Two rankings:
*plain* (the customer's words only) and *expanded* (each word also by its translations,
`domain/synonyms.py`, as the assistant searches). No model runs here: the multilingual
embedder's share is measured where ingest runs (docs/embeddings.md).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bancone_agent.domain import Product, understand
from bancone_agent.domain.offline import product_text, relevance
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


def main() -> int:
    shops = json.loads((HERE / "shops.json").read_text("utf-8"))["shops"]
    catalogue = {k: load_demo_shop((HERE / v["data"]).resolve()).products for k, v in shops.items()}
    queries = json.loads((HERE / "cases" / "recall.json").read_text("utf-8"))["queries"]
    print(f"{'ranking':<10}{'lang':>6}{'queries':>9}{'recall@1':>10}{'recall@3':>10}")
    for name, score in (("plain", plain), ("expanded", relevance)):
        for lang in ("en", "es", "all"):
            chosen = [q for q in queries if lang in ("all", q["lang"])]
            at1 = at3 = 0
            for q in chosen:
                words = understand(q["query"]).keywords
                top = ranked(catalogue[q["shop"]], words, score)
                at1 += bool(set(top[:1]) & set(q["skus"]))
                at3 += bool(set(top[:3]) & set(q["skus"]))
            n = len(chosen)
            print(f"{name:<10}{lang:>6}{n:>9}{at1 / n:>10.2f}{at3 / n:>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
