"""W3C trace context captured when an event is staged and restored when it is published."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import context, propagate


def current_carrier() -> dict[str, str]:
    """The active trace context as W3C headers (`traceparent`, maybe `tracestate`)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


@contextmanager
def attached(carrier: dict[str, str]) -> Iterator[None]:
    """Make the context serialised in `carrier` the current one for the duration of the block."""
    token = context.attach(propagate.extract(carrier))
    try:
        yield
    finally:
        context.detach(token)
