"""The gateway's `/metrics` (from the kit's app factory): Prometheus text with the HTTP series
of a request just made, labelled by route template, not by raw path."""

from __future__ import annotations

import pytest

from bancone_gateway.bootstrap import build_app
from bancone_gateway.settings import GatewaySettings
from bancone_kit.testing.service_checks import assert_http_series_served

pytestmark = pytest.mark.unit


async def test_gateway_metrics_count_a_request_by_route_template() -> None:
    app = build_app(GatewaySettings(database_url="sqlite+aiosqlite:///:memory:"))
    scrape = await assert_http_series_served(
        app, "GET", "/webhooks/whatsapp", route="/webhooks/whatsapp"
    )
    assert "# TYPE bancone_gateway_webhook_events_total counter" in scrape.text, (
        "the gateway's own counters are served too"
    )
    assert "# TYPE faststream_published_messages_total counter" in scrape.text
