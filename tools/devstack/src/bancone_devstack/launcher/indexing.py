"""`make run` is ready only once ingest can find the demo catalogue: poll ingest's search until
every active product and FAQ of the demo file is among the hits."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bancone_devstack.launcher.environment import base_url
from bancone_devstack.launcher.layout import Layout
from bancone_devstack.launcher.report import Reporter, StepError
from bancone_devstack.launcher.services import INGEST
from bancone_devstack.readiness import POLL_SECONDS, summarise_response


@dataclass(frozen=True)
class Expected:
    """An entity of the demo file that ingest's search must return."""

    kind: str
    key: str
    title: str

    def found_in(self, keys: set[str]) -> bool:
        return f"{self.kind}:{self.key}" in keys or f"{self.kind}:{self.title}" in keys


def expected_entities(catalog_file: Path) -> list[Expected]:
    """Every active product (by SKU) and every FAQ (by question) of a catalogue file."""
    document = json.loads(catalog_file.read_text(encoding="utf-8"))
    return [
        Expected("product", str(p["sku"]), str(p.get("name") or p["sku"]))
        for p in document.get("products", [])
        if p.get("active", True)
    ] + [
        Expected("faq", str(f["question"]), str(f["question"]))
        for f in document.get("faqs", [])
        if f.get("question")
    ]


def hit_keys(body: Any) -> set[str]:
    """`kind:sku` and `kind:title` of every hit of a search answer."""
    keys: set[str] = set()
    for hit in body.get("hits", []) if isinstance(body, dict) else []:
        if not isinstance(hit, dict):
            continue
        kind = hit.get("kind")
        sku = (hit.get("payload") or {}).get("sku")
        if sku:
            keys.add(f"{kind}:{sku}")
        if hit.get("title"):
            keys.add(f"{kind}:{hit['title']}")
    return keys


def route_missing(response: httpx.Response) -> bool:
    """The server has no such route (FastAPI's plain 404/405), as opposed to a domain 404."""
    if response.status_code not in (404, 405):
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("detail", body.get("title")) in (
        "Not Found",
        "Method Not Allowed",
    )


async def wait_indexed(
    env: Mapping[str, str],
    layout: Layout,
    reporter: Reporter,
    catalog_file: Path,
    deadline_seconds: float,
    token: str,
) -> None:
    """Poll ingest's search until every active product and FAQ of the demo file is found:
    one broad search per round, then targeted ones for what it did not return."""
    tenant = env["BANCONE_DEMO_TENANT_ID"]
    expected = expected_entities(catalog_file)
    url = f"{base_url(env, INGEST)}/v1/tenants/{tenant}/search"
    broad = {
        "text": env["BANCONE_DEMO_TENANT_NAME"],
        "kinds": sorted({item.kind for item in expected}),
        "limit": 50,
    }
    deadline = time.monotonic() + deadline_seconds
    pending = list(expected)
    last = "not among the hits"
    reporter.wait_for("index", f"ingest to index the catalogue (0/{len(expected)})")

    async def search(client: httpx.AsyncClient, query: Mapping[str, Any]) -> set[str] | None:
        nonlocal last
        try:
            response = await client.post(url, json=query)
        except httpx.TransportError as error:
            last = f"{type(error).__name__}: {error}"
            return None
        if response.status_code == 200:
            return hit_keys(response.json())
        if route_missing(response):
            raise StepError(
                f"ingest has no search endpoint: POST {url} → {summarise_response(response)}",
                logs=[("ingest", layout.log("ingest"))],
                hint="the launcher waits on ingest's search to know the demo catalogue is indexed",
            )
        last = summarise_response(response)
        return None

    headers = {"Authorization": f"Bearer {token}"}  # search needs a viewer of the tenant
    async with httpx.AsyncClient(timeout=10.0, headers=headers) as client:
        while pending:
            keys = await search(client, broad) or set()
            pending = [item for item in pending if not item.found_in(keys)]
            while pending:
                query = {"text": pending[0].title, "kinds": [pending[0].kind], "limit": 10}
                keys = await search(client, query) or set()
                if not pending[0].found_in(keys):
                    break
                pending.pop(0)
            found = len(expected) - len(pending)
            reporter.wait_for("index", f"ingest to index the catalogue ({found}/{len(expected)})")
            if not pending:
                break
            if time.monotonic() > deadline:
                missing = pending[0]
                raise StepError(
                    f"ingest has not indexed {missing.kind} {missing.key!r} of tenant {tenant} "
                    f"after {deadline_seconds:.0f}s ({found}/{len(expected)} found): "
                    f"POST {url} {{'text': {missing.title!r}}} → {last}",
                    logs=[("catalog", layout.log("catalog")), ("ingest", layout.log("ingest"))],
                    hint="catalog publishes changes on bancone.catalog.v1 through its "
                    "outbox; ingest consumes and indexes them",
                )
            await asyncio.sleep(POLL_SECONDS)
    reporter.wait_for("index", None)
    reporter.done(f"ingest: all {len(expected)} products and FAQs of {tenant} searchable")
