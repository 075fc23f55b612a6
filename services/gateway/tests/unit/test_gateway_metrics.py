"""The gateway's `/metrics` (from the kit's app factory): Prometheus text with the HTTP series
of a request just made, labelled by route template, not by raw path."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bancone_gateway.bootstrap import build_app
from bancone_gateway.settings import GatewaySettings

pytestmark = pytest.mark.unit


async def test_gateway_metrics_count_a_request_by_route_template() -> None:
    app = build_app(GatewaySettings(database_url="sqlite+aiosqlite:///:memory:"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://gateway",
    ) as client:
        status = (await client.get("/webhooks/whatsapp")).status_code
        response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    http = {"route": "/webhooks/whatsapp", "method": "GET", "status": str(status)}
    samples = {
        (sample.name, tuple(sorted(sample.labels.items())))
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    for name in ("bancone_http_requests_total", "bancone_http_request_duration_seconds_count"):
        assert (name, tuple(sorted(http.items()))) in samples
    assert "# TYPE bancone_gateway_webhook_events_total counter" in response.text, (
        "the gateway's own counters are served too"
    )
    assert "# TYPE faststream_published_messages_total counter" in response.text
