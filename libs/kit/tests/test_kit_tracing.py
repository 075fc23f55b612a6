from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from bancone_kit.tracing import configure_tracing, context_from_traceparent, current_traceparent

pytestmark = pytest.mark.unit


def test_provider_names_the_service() -> None:
    provider = configure_tracing("gateway", "none", set_global=False)
    assert provider.resource.attributes["service.name"] == "gateway"
    provider.shutdown()


def test_console_and_otlp_exporters_are_built() -> None:
    for exporter in ("console", "otlp"):
        provider = configure_tracing(
            "gateway", exporter, "http://127.0.0.1:4318/v1/traces", set_global=False
        )
        provider.shutdown()


def test_without_an_exporter_spans_carry_ids_but_record_nothing() -> None:
    provider = configure_tracing("agent", "none", set_global=False)
    with provider.get_tracer("test").start_as_current_span("work") as span:
        assert not span.is_recording()
        assert span.get_span_context().is_valid
        assert current_traceparent() is not None
    exporting = configure_tracing("agent", "console", set_global=False)
    with exporting.get_tracer("test").start_as_current_span("work") as span:
        assert span.is_recording()
    exporting.shutdown()


def test_traceparent_is_none_outside_a_span() -> None:
    assert current_traceparent() is None


def test_traceparent_names_the_current_span() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        traceparent = current_traceparent()
        context = span.get_span_context()

    assert traceparent is not None
    version, trace_id, span_id, _flags = traceparent.split("-")
    assert (version, trace_id, span_id) == (
        "00",
        f"{context.trace_id:032x}",
        f"{context.span_id:016x}",
    )


def test_span_started_from_a_traceparent_continues_its_trace() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("producer"):
        traceparent = current_traceparent()
    assert traceparent is not None

    with tracer.start_as_current_span(
        "consumer", context=context_from_traceparent(traceparent)
    ) as child:
        assert f"{child.get_span_context().trace_id:032x}" == traceparent.split("-")[1]


def test_invalid_traceparent_gives_an_empty_context() -> None:
    context = context_from_traceparent("garbage")
    assert not trace.get_current_span(context).get_span_context().is_valid
