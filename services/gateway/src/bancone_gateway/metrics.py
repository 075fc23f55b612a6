"""Prometheus counters of the gateway, served at `/metrics`.

Module-level, so they are registered once per process however many apps a test builds.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
WEBHOOK_SECONDS = Histogram(
    "bancone_gateway_webhook_duration_seconds",
    "Time to answer a webhook POST (Meta wants most under 250 ms, nearly all under 1 s).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
WEBHOOK_ITEMS_REJECTED = Counter(
    "bancone_gateway_webhook_items_rejected",
    "Webhook messages, statuses or changes set aside (stored for operators), by field and kind.",
    ["field", "kind"],
)
WEBHOOK_CHANNEL_UNREADABLE = Counter(
    "bancone_gateway_webhook_channel_unreadable",
    "Channels whose sealed secret could not be opened (missing key?): treated as unknown.",
)
LINKS = Counter(
    "bancone_gateway_links",
    "Signed customer links, by kind and outcome (minted, opened, refused, unavailable).",
    ["kind", "outcome"],
)
