"""The one place Kafka producer and consumer settings are decided for every service."""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from opentelemetry import trace
from opentelemetry.trace import TracerProvider
from prometheus_client import REGISTRY, CollectorRegistry


def make_broker(
    bootstrap_servers: str,
    *,
    client_id: str,
    idempotence: bool = True,
    tracer_provider: TracerProvider | None = None,
    registry: CollectorRegistry | None = None,
) -> KafkaBroker:
    """A FastStream Kafka broker whose producer waits for every in-sync replica (acks=all).

    Idempotence stays on unless the operator switches it off for a broker that lacks it
    (e.g. the in-memory tansu fallback of `make run`); the tests always run with it on.
    The telemetry middleware carries the W3C trace context in Kafka headers both ways; the
    Prometheus one counts consumed, published and failed messages per topic and times their
    handling (`faststream_*` series, `app_name` = `client_id`) in `registry`, by default the
    process registry that `/metrics` serves.
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
            KafkaPrometheusMiddleware(
                registry=REGISTRY if registry is None else registry, app_name=client_id
            ),
        ),
        graceful_timeout=30.0,
    )
