"""OpenTelemetry set-up: one tracer provider per process and the W3C trace context propagator.

The exporter is a setting (`none`, `console`, `otlp`); with `none` spans are still created, so
trace ids exist for logs and travel in Kafka headers, but none is recorded (the sampler is off):
a recorded span that nobody exports only costs CPU, once per request, consumed and published
event (docs/benchmarks.md, issue 11).
"""

from __future__ import annotations

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_NAMESPACE, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from bancone_kit.settings import OtelExporter

_W3C = TraceContextTextMapPropagator()


def configure_tracing(
    service_name: str,
    exporter: OtelExporter = "none",
    endpoint: str | None = None,
    *,
    set_global: bool = True,
) -> TracerProvider:
    """Build the tracer provider and, by default, install it and the W3C propagator globally.

    `endpoint` is the OTLP/HTTP traces URL (e.g. `http://collector:4318/v1/traces`); when
    None the exporter falls back to the standard `OTEL_EXPORTER_OTLP_*` variables. Call
    `shutdown()` on the returned provider at exit to flush batched spans.
    """
    resource = Resource.create({SERVICE_NAME: service_name, SERVICE_NAMESPACE: "bancone"})
    sampler = ALWAYS_OFF if exporter == "none" else None  # None: the SDK's parent-based default
    provider = TracerProvider(resource=resource, sampler=sampler)
    if exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    if set_global:
        trace.set_tracer_provider(provider)
        propagate.set_global_textmap(CompositePropagator([_W3C, W3CBaggagePropagator()]))
    return provider


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span, or None outside any recording span."""
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier.get("traceparent")


def context_from_traceparent(
    traceparent: str | None, tracestate: str | None = None
) -> otel_context.Context:
    """An OpenTelemetry context whose parent is the given `traceparent` (empty if invalid)."""
    carrier = {"traceparent": traceparent or ""}
    if tracestate:
        carrier["tracestate"] = tracestate
    return _W3C.extract(carrier)
