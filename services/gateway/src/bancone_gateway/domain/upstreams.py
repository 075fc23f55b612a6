"""Which service owns a tenant API path, for the gateway's one-origin proxy of local runs.

The console calls every API on the gateway's origin; in Kubernetes the Ingress routes these
paths (deploy/k8s), locally the gateway forwards them. Paths not named here (identity, channels,
rejected items) are the gateway's own.
"""

from __future__ import annotations

from collections.abc import Mapping

TENANT_PREFIX = "/v1/tenants/"

RESOURCE_OWNERS: Mapping[str, str] = {
    "conversations": "agent",
    "events": "agent",
    "assistant-config": "agent",
    "onboarding": "agent",
    "usage": "agent",
    "dead-letters": "agent",
    "whatsapp-notices": "agent",
    "products": "catalog",
    "faqs": "catalog",
    "offers": "catalog",
    "import": "catalog",
    "imports": "catalog",
    "orders": "catalog",
    "carts": "catalog",
    "invoice-settings": "catalog",
    "documents": "ingest",
    "ingestion-jobs": "ingest",
    "search": "ingest",
    "stats": "ingest",
    "knowledge-settings": "ingest",
    "templates": "notifier",
    "campaigns": "notifier",
    "customers": "notifier",
    "consent": "notifier",
}
"""The first path segment after `/v1/tenants/{tenant_id}/` → the service that serves it."""


def owner_of(path: str) -> str | None:
    """The service owning `path`, or None when the gateway serves it (or nobody does).

    `products:batchGet` belongs to `products`; a path with `..` or an empty tenant is never
    forwarded, so the proxy cannot be steered outside the tenant API.
    """
    if not path.startswith(TENANT_PREFIX) or ".." in path:
        return None
    parts = path[len(TENANT_PREFIX) :].split("/")
    if len(parts) < 2 or not parts[0]:
        return None
    resource = parts[1].split(":", 1)[0]
    return RESOURCE_OWNERS.get(resource)
