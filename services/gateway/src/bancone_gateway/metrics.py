"""Prometheus counters of the gateway, served at `/metrics`.

Module-level, so they are registered once per process however many apps a test builds.
"""

from __future__ import annotations

from prometheus_client import Counter

WEBHOOK_UNKNOWN_PHONE_NUMBER_ID = Counter(
    "bancone_gateway_webhook_unknown_phone_number_id",
    "Webhook parts dropped because no active channel has their phone_number_id.",
)
WEBHOOK_EVENTS = Counter(
    "bancone_gateway_webhook_events",
    "Messages and statuses received in webhooks, by kind and outcome (published, duplicate).",
    ["kind", "outcome"],
)
WEBHOOK_REJECTED = Counter(
    "bancone_gateway_webhook_rejected",
    "Webhook POSTs refused, by reason.",
    ["reason"],
)
