from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from opentelemetry.sdk.trace import TracerProvider
from pydantic import SecretStr

from bancone_kit.logging import (
    REDACTED,
    bind_event_context,
    clear_event_context,
    event_context,
    get_logger,
)
from bancone_kit.settings import ServiceSettings
from bancone_kit.testing.logs import captured_logging

pytestmark = pytest.mark.unit


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    with captured_logging(ServiceSettings(service_name="shop", log_level="DEBUG")) as buffer:
        yield buffer


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_log_line_is_json_with_service_level_and_event(output: io.StringIO) -> None:
    get_logger("t").info("reply.sent", message_id="wamid.1")

    (line,) = lines(output)
    assert line["event"] == "reply.sent"
    assert line["message_id"] == "wamid.1"
    assert line["service"] == "shop"
    assert line["level"] == "info"
    assert line["timestamp"].endswith("Z")


def test_bound_ids_appear_on_every_line_until_cleared(output: io.StringIO) -> None:
    bind_event_context(tenant_id="t-1", conversation_id="c-1")
    get_logger().info("inbound.accepted")
    clear_event_context()
    get_logger().info("after")

    first, second = lines(output)
    assert (first["tenant_id"], first["conversation_id"]) == ("t-1", "c-1")
    assert "tenant_id" not in second


def test_event_context_restores_outer_ids_on_exit(output: io.StringIO) -> None:
    bind_event_context(tenant_id="outer")
    with event_context(tenant_id="inner", trace_id="abc"):
        get_logger().info("inside")
    get_logger().info("outside")

    inside, outside = lines(output)
    assert (inside["tenant_id"], inside["trace_id"]) == ("inner", "abc")
    assert outside["tenant_id"] == "outer"
    assert "trace_id" not in outside


def test_trace_ids_come_from_the_current_span(output: io.StringIO) -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        get_logger().info("in.span")
        context = span.get_span_context()

    (line,) = lines(output)
    assert line["trace_id"] == f"{context.trace_id:032x}"
    assert line["span_id"] == f"{context.span_id:016x}"


def test_secrets_are_redacted(output: io.StringIO) -> None:
    get_logger().info(
        "channel.saved",
        access_token="EAAG-very-secret",
        app_secret=SecretStr("s3cr3t"),
        password="hunter2",
        prompt_tokens=42,
    )

    (line,) = lines(output)
    assert line["access_token"] == REDACTED
    assert line["app_secret"] == REDACTED
    assert line["password"] == REDACTED
    assert line["prompt_tokens"] == 42
    assert "very-secret" not in output.getvalue()


def test_standard_library_loggers_share_the_json_output(output: io.StringIO) -> None:
    bind_event_context(tenant_id="t-9")
    logging.getLogger("uvicorn.error").info("Started %s", "server")

    (line,) = lines(output)
    assert line["event"] == "Started server"
    assert line["tenant_id"] == "t-9"
    assert line["logger"] == "uvicorn.error"


def test_a_server_configured_before_does_not_keep_its_own_level() -> None:
    """An in-process server started earlier (the sandbox in tests) sets `uvicorn.error` to its
    own level; configuring logging afterwards makes the server loggers follow the service's
    level again (this test's line used to vanish when it ran after such a server)."""
    uvicorn.Config(app=lambda *_: None, log_level="warning").configure_logging()
    with captured_logging(ServiceSettings(service_name="shop", log_level="INFO")) as buffer:
        logging.getLogger("uvicorn.error").info("Started %s", "server")

    (line,) = lines(buffer)
    assert (line["event"], line["logger"]) == ("Started server", "uvicorn.error")


def test_exceptions_are_rendered_as_structured_tracebacks(output: io.StringIO) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        get_logger().exception("handler.failed")

    (line,) = lines(output)
    assert line["exception"][0]["exc_type"] == "ValueError"
