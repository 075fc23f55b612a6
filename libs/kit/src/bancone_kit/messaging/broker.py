"""The one place Kafka producer and consumer settings are decided for every service."""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry import trace
from opentelemetry.trace import TracerProvider


def make_broker(
    bootstrap_servers: str,
    *,
    client_id: str,
    idempotence: bool = True,
    tracer_provider: TracerProvider | None = None,
) -> KafkaBroker:
    """A FastStream Kafka broker whose producer waits for every in-sync replica (acks=all).

    Idempotence stays on unless the operator switches it off for a broker that lacks it
    (e.g. the in-memory tansu fallback of `make run`); the tests always run with it on.
    The telemetry middleware carries the W3C trace context in Kafka headers both ways.
    """
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=idempotence,
        middlewares=(
            KafkaTelemetryMiddleware(
                tracer_provider=tracer_provider or trace.get_tracer_provider()
            ),
        ),
        graceful_timeout=30.0,
    )
