"""The one place Kafka producer and consumer settings are decided for every service."""

from __future__ import annotations

import logging
import ssl

from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from opentelemetry import trace
from opentelemetry.trace import TracerProvider
from prometheus_client import REGISTRY, CollectorRegistry

from bancone_kit.settings import ServiceSettings

_SASL = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}


def kafka_security(settings: ServiceSettings) -> BaseSecurity | None:
    """TLS and SASL from the `kafka_*` settings (Strimzi: SASL_SSL + SCRAM-SHA-512 + cluster CA)."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    use_ssl = protocol in ("SSL", "SASL_SSL")
    context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile) if use_ssl else None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    if settings.kafka_sasl_username is None or settings.kafka_sasl_password is None:
        raise ValueError(f"Kafka {protocol} needs kafka_sasl_username and kafka_sasl_password")
    return _SASL[settings.kafka_sasl_mechanism](
        settings.kafka_sasl_username,
        settings.kafka_sasl_password.get_secret_value(),
        ssl_context=context,
        use_ssl=use_ssl,
    )


def broker_for(settings: ServiceSettings) -> KafkaBroker:
    """The service's broker from its settings: bootstrap, client id, idempotence, TLS/SASL."""
    return make_broker(
        settings.kafka_bootstrap_servers,
        client_id=f"bancone-{settings.service_name}",
        idempotence=settings.kafka_idempotence,
        security=kafka_security(settings),
    )


def make_broker(
    bootstrap_servers: str,
    *,
    client_id: str,
    idempotence: bool = True,
    tracer_provider: TracerProvider | None = None,
    registry: CollectorRegistry | None = None,
    security: BaseSecurity | None = None,
) -> KafkaBroker:
    """A FastStream Kafka broker whose producer waits for every in-sync replica (acks=all).

    Idempotence stays on unless the operator switches it off for a broker that lacks it
    (e.g. the in-memory tansu fallback of `make run`); the tests always run with it on.
    The telemetry middleware carries the W3C trace context in Kafka headers both ways; the
    Prometheus one counts consumed, published and failed messages per topic and times their
    handling (`faststream_*` series, `app_name` = `client_id`) in `registry`, by default the
    process registry that `/metrics` serves.

    FastStream's "Received" / "Processed" lines per consumed message are at DEBUG: two log
    lines per event (the notifier consumes ~6 per customer message) were a measurable share of
    the CPU per message, and the metrics above count the same; a failing handler still logs
    its error (docs/benchmarks.md, issue 11).
    """
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=idempotence,
        security=security,
        middlewares=(
            KafkaTelemetryMiddleware(
                tracer_provider=tracer_provider or trace.get_tracer_provider()
            ),
            KafkaPrometheusMiddleware(
                registry=REGISTRY if registry is None else registry, app_name=client_id
            ),
        ),
        graceful_timeout=30.0,
        log_level=logging.DEBUG,
    )
