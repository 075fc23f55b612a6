"""With no span exporter the webhook's server span is only ids: the sender's trace is kept,
each request gets its own span id, and the context is current (so the events carry it)."""

from __future__ import annotations

import pytest
from opentelemetry import propagate, trace

from bancone_gateway.entrypoints.webhook_fast_path import _span_context_only
from bancone_kit.messaging.tracecontext import current_carrier

pytestmark = pytest.mark.unit

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def test_the_senders_trace_is_kept_under_a_new_span_id() -> None:
    parent = propagate.extract({"traceparent": PARENT})

    with _span_context_only(parent) as span:
        carried = current_carrier()["traceparent"]
    after = trace.get_current_span().get_span_context()

    version, trace_id, span_id, flags = carried.split("-")
    assert (version, trace_id, flags) == ("00", TRACE_ID, "01")
    assert span_id not in ("00f067aa0ba902b7", "0" * 16)
    assert span.get_span_context().span_id == int(span_id, 16)
    assert not after.is_valid  # detached once the block ends


def test_without_a_sender_trace_each_request_starts_its_own_sampled_trace() -> None:
    with _span_context_only(None):
        first = current_carrier()["traceparent"].split("-")
    with _span_context_only(None):
        second = current_carrier()["traceparent"].split("-")

    assert first[1] != second[1]
    assert first[2] != second[2]
    assert first[1] != "0" * 32
    assert first[3] == "01"
