"""`/metrics` on every app built by `create_app`: HTTP series by route template, method and
status, probes and the scrape left out, one route only, parseable exposition."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI, HTTPException
from prometheus_client.parser import text_string_to_metric_families

from bancone_kit.http.app import create_app
from bancone_kit.settings import ServiceSettings

pytestmark = pytest.mark.unit


def samples(text: str, name: str) -> dict[frozenset[tuple[str, str]], float]:
    """Samples called `name` in a text exposition, by their label set."""
    found: dict[frozenset[tuple[str, str]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[frozenset(sample.labels.items())] = sample.value
    return found


def labels(**values: str) -> frozenset[tuple[str, str]]:
    return frozenset(values.items())


def app_with_routes(prefix: str) -> FastAPI:
    """An app whose tenant routes come through a prefixed `include_router`, as services do."""
    app = create_app("metrics test", ServiceSettings(service_name="test"))
    router = APIRouter()

    @router.get("/items/{item_id}")
    async def item(item_id: str) -> dict[str, str]:
        if item_id == "missing":
            raise HTTPException(status_code=404, detail="no such item")
        return {"id": item_id}

    @router.post("/explode")
    async def explode() -> None:
        raise RuntimeError("boom")

    app.include_router(router, prefix=f"{prefix}/tenants/{{tenant_id}}")
    return app


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return response.text


async def test_requests_are_counted_by_route_template_method_and_status() -> None:
    app = app_with_routes("/http-count")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        for tenant in ("acme", "demo", "other"):
            assert (await client.get(f"/http-count/tenants/{tenant}/items/1")).status_code == 200
        assert (await client.get("/http-count/tenants/demo/items/missing")).status_code == 404
        assert (await client.post("/http-count/tenants/demo/explode")).status_code == 500
        text = await scrape(client)

    route = "/http-count/tenants/{tenant_id}/items/{item_id}"
    counts = samples(text, "bancone_http_requests_total")
    assert counts[labels(route=route, method="GET", status="200")] == 3, "one series, not per id"
    assert counts[labels(route=route, method="GET", status="404")] == 1
    explode = labels(route="/http-count/tenants/{tenant_id}/explode", method="POST", status="500")
    assert counts[explode] == 1, "unhandled errors count as the 500 they became"
    assert not any("acme" in value for key in counts for _, value in key), "no raw paths"

    durations = samples(text, "bancone_http_request_duration_seconds_count")
    assert durations[labels(route=route, method="GET", status="200")] == 3
    sums = samples(text, "bancone_http_request_duration_seconds_sum")
    assert sums[labels(route=route, method="GET", status="200")] > 0


async def test_probes_the_scrape_and_unknown_paths_do_not_grow_the_label_set() -> None:
    app = app_with_routes("/http-quiet")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://svc"
    ) as client:
        await client.get("/healthz")
        await client.get("/readyz")
        before = samples(await scrape(client), "bancone_http_requests_total")
        for n in range(5):
            assert (await client.get(f"/no/such/path/{n}")).status_code == 404
        await client.get("/healthz")
        text = await scrape(client)

    counts = samples(text, "bancone_http_requests_total")
    routes = {dict(key)["route"] for key in counts}
    assert not routes & {"/healthz", "/readyz", "/metrics"}
    assert not any(route.startswith("/no/such") for route in routes)
    unmatched = labels(route="unmatched", method="GET", status="404")
    assert counts[unmatched] == before.get(unmatched, 0) + 5


async def test_one_metrics_route_and_openmetrics_when_asked() -> None:
    app = create_app("metrics test", ServiceSettings(service_name="test"))
    assert [getattr(r, "path", None) for r in app.routes].count("/metrics") == 1
    assert "/metrics" not in app.openapi()["paths"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://svc"
    ) as client:
        response = await client.get(
            "/metrics", headers={"accept": "application/openmetrics-text; version=1.0.0"}
        )
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")
    for family in ("bancone_http_requests", "bancone_events_dead_lettered", "process_cpu_seconds"):
        assert f"# TYPE {family} counter" in response.text


async def test_a_router_included_twice_is_labelled_by_each_prefix_and_odd_methods_fold() -> None:
    app = create_app("metrics test", ServiceSettings(service_name="test"))
    router = APIRouter()

    @router.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    app.include_router(router, prefix="/http-twice/v1")
    app.include_router(router, prefix="/http-twice/v2")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://svc"
    ) as client:
        await client.get("/http-twice/v1/ping")
        await client.get("/http-twice/v2/ping")
        await client.get("/http-twice/v2/ping")
        await client.request("BREW", "/http-twice/v2/ping")
        text = await scrape(client)

    counts = samples(text, "bancone_http_requests_total")
    assert counts[labels(route="/http-twice/v1/ping", method="GET", status="200")] == 1
    assert counts[labels(route="/http-twice/v2/ping", method="GET", status="200")] == 2
    assert counts[labels(route="/http-twice/v2/ping", method="other", status="405")] == 1
