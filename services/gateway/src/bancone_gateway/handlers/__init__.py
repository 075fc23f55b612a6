"""The gateway's use cases, `(input, deps) -> effects`, called by the thin HTTP routes; the
registry below is the one place that lists them.

A package rather than one `handlers.py`: the webhook path (verify, normalise, dedupe, publish)
and provisioning (tenants, channels, the channel topic through the outbox) share nothing but
`deps`, and together pass the ~300 lines at which CONVENTIONS.md grows a module into a folder.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from bancone_contracts.envelope import Envelope
from bancone_gateway.handlers import provisioning, rejected_items, webhook
from bancone_kit.messaging.subscriptions import Subscription, declared

COMMAND_HANDLERS: Final[Mapping[str, Callable[..., Awaitable[Any]]]] = {
    # Meta's webhook (entrypoints/webhooks.py)
    "receive_webhook": webhook.receive_webhook,
    "verify_subscription": webhook.verify_subscription,
    # webhook items set aside (entrypoints/rejected_items.py)
    "list_rejected_items": rejected_items.list_rejected_items,
    # the provisioning API (entrypoints/admin.py)
    "create_tenant": provisioning.create_tenant,
    "put_tenant": provisioning.put_tenant,
    "get_tenant": provisioning.get_tenant,
    "put_channel": provisioning.put_channel,
    "get_channel": provisioning.get_channel,
    "disable_channel": provisioning.disable_channel,
}
"""Every HTTP-triggered use case of the gateway, by name."""

EVENT_HANDLERS: Final[Mapping[type[Envelope[Any]], Callable[..., Awaitable[None]]]] = {}
"""The gateway consumes no event: it publishes inbound, status and channel events."""

SUBSCRIPTIONS: Final[tuple[Subscription, ...]] = declared("gateway")
"""Empty, as `bancone_contracts.subscriptions` declares (so its KafkaUser may read nothing)."""
