"""Which service owns a path: the one-origin proxy forwards only tenant API paths it names."""

from __future__ import annotations

import pytest

from bancone_gateway.domain.upstreams import owner_of

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("path", "owner"),
    [
        ("/v1/tenants/demo/conversations", "agent"),
        ("/v1/tenants/demo/conversations/abc/replies", "agent"),
        ("/v1/tenants/demo/events", "agent"),
        ("/v1/tenants/demo/assistant-config/versions/3", "agent"),
        ("/v1/tenants/demo/onboarding/s1/answers", "agent"),
        ("/v1/tenants/demo/usage/daily", "agent"),
        ("/v1/tenants/demo/products", "catalog"),
        ("/v1/tenants/demo/products:batchGet", "catalog"),
        ("/v1/tenants/demo/faqs/1", "catalog"),
        ("/v1/tenants/demo/offers", "catalog"),
        ("/v1/tenants/demo/import", "catalog"),
        ("/v1/tenants/demo/orders", "catalog"),
        ("/v1/tenants/demo/orders/o1/transitions", "catalog"),
        ("/v1/tenants/demo/carts/quote", "catalog"),
        ("/v1/tenants/demo/invoice-settings", "catalog"),
        ("/v1/tenants/demo/documents/x", "ingest"),
        ("/v1/tenants/demo/ingestion-jobs/j", "ingest"),
        ("/v1/tenants/demo/campaigns", "notifier"),
        ("/v1/tenants/demo/campaigns/c1/pause", "notifier"),
        ("/v1/tenants/demo/customers", "notifier"),
        ("/v1/tenants/demo/customers/393331234567/consent", "notifier"),
        ("/v1/tenants/demo/consent/keywords", "notifier"),
    ],
)
def test_tenant_api_paths_go_to_their_service(path: str, owner: str) -> None:
    assert owner_of(path) == owner


@pytest.mark.parametrize(
    "path",
    [
        "/v1/auth/login",
        "/v1/tenants/demo/invites",
        "/v1/tenants/demo/operators",
        "/v1/tenants/demo/audit",
        "/v1/tenants/demo/channels/123",
        "/v1/tenants/demo",
        "/v1/tenants//conversations",
        "/v1/tenants/demo/../../v1/auth/login/conversations",
        "/v1/tenants/demo/conversations/../../other/products",
        "/webhooks/whatsapp",
        "/console/",
        "/v1/tenants/demo/conversationsX",
    ],
)
def test_the_gateways_own_and_odd_paths_stay_local(path: str) -> None:
    assert owner_of(path) is None
