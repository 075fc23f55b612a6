"""Kafka messaging: broker factory, transactional outbox, idempotent-consumer inbox, retry + DLQ."""
