"""The gateway's use cases: `(input, deps) -> effects`, called by the thin HTTP routes.

- `webhook.receive_webhook` — a signed WhatsApp webhook to inbound/status events on Kafka.
- `webhook.verify_subscription` — Meta's verification handshake.
- `provisioning.*` — tenants and channels for platform operators; channel changes go to
  `bancone.channel.v1` through the outbox.
"""
