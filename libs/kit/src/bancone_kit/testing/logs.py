"""Logging captured the way a service configures it, for tests that read the lines."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

from bancone_kit.logging import clear_event_context, configure_logging
from bancone_kit.settings import ServiceSettings


@contextmanager
def captured_logging(settings: ServiceSettings) -> Iterator[io.StringIO]:
    """`configure_logging(settings)` into a buffer; the root logger, structlog and the bound
    event context as they were afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    buffer = io.StringIO()
    configure_logging(settings, stream=buffer)
    try:
        yield buffer
    finally:
        clear_event_context()
        structlog.reset_defaults()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
