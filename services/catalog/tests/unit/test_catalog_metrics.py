"""The catalog's `/metrics` (from the kit's app factory): Prometheus text with the HTTP series
of a request just made, labelled by route template, not by raw path."""

from __future__ import annotations

import pytest

from bancone_catalog.bootstrap import build_app
from bancone_catalog.settings import CatalogSettings
from bancone_kit.testing.service_checks import assert_http_series_served

pytestmark = pytest.mark.unit


async def test_catalog_metrics_count_a_request_by_route_template() -> None:
    app = build_app(CatalogSettings(database_url="sqlite+aiosqlite:///:memory:"))
    scrape = await assert_http_series_served(
        app, "POST", "/v1/tenants/demo/products", route="/v1/tenants/{tenant_id}/products"
    )
    assert "# TYPE faststream_published_messages_total counter" in scrape.text
