"""The ingest's `/metrics` (from the kit's app factory): Prometheus text with the HTTP series
of a request just made, labelled by route template, not by raw path."""

from __future__ import annotations

import pytest

from bancone_ingest.bootstrap import build_app
from bancone_ingest.settings import IngestSettings
from bancone_kit.testing.service_checks import assert_http_series_served

pytestmark = pytest.mark.unit


async def test_ingest_metrics_count_a_request_by_route_template() -> None:
    app = build_app(IngestSettings(database_url="sqlite+aiosqlite:///:memory:"))
    scrape = await assert_http_series_served(
        app, "GET", "/v1/tenants/demo/stats", route="/v1/tenants/{tenant_id}/stats"
    )
    assert "# TYPE faststream_published_messages_total counter" in scrape.text
