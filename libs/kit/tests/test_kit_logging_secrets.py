"""Secrets and message bodies never reach the log, even when a handler fails holding them."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from bancone_kit.http.problems import UnhandledErrorMiddleware
from bancone_kit.logging import REDACTED, get_logger
from bancone_kit.settings import LogFormat, ServiceSettings
from bancone_kit.testing.logs import captured_logging

pytestmark = pytest.mark.unit

APP_SECRET = "app-secret-7f3c9a1d5e2b8c4f6a0e9d3b"
CUSTOMER_TEXT = "my card number is 4111 1111 1111 1111"


@pytest.fixture(params=["json", "console"])
def output(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    log_format: LogFormat = request.param
    settings = ServiceSettings(service_name="shop", log_level="DEBUG", log_format=log_format)
    with captured_logging(settings) as buffer:
        yield buffer


def _failing_app() -> FastAPI:
    app = FastAPI()

    @app.post("/webhook")
    async def webhook() -> None:
        app_secret = APP_SECRET  # a frame local a traceback with locals would print
        text = CUSTOMER_TEXT
        raise RuntimeError(f"signature check failed ({len(app_secret)}, {len(text)})")

    app.add_middleware(UnhandledErrorMiddleware)
    return app


async def test_a_failing_handler_logs_its_traceback_without_the_secret_it_held(
    output: io.StringIO,
) -> None:
    transport = httpx.ASGITransport(app=_failing_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
        response = await client.post("/webhook")

    assert response.status_code == 500
    logged = output.getvalue()
    assert "http.unhandled_error" in logged
    assert "signature check failed" in logged
    assert APP_SECRET not in logged
    assert CUSTOMER_TEXT not in logged


def test_secrets_nested_in_dicts_and_lists_are_redacted(output: io.StringIO) -> None:
    get_logger("t").info(
        "request.seen",
        request={"headers": {"Authorization": "Bearer abc123"}, "api_key": SecretStr("k1")},
        channels=[{"app_secret": "s1"}, ({"access_token": "t1"},)],
        message={"text": CUSTOMER_TEXT},
    )

    logged = output.getvalue()
    for leaked in ("abc123", "k1", "s1", "t1", CUSTOMER_TEXT):
        assert leaked not in logged
    assert REDACTED in logged
    assert f"[{len(CUSTOMER_TEXT)} chars]" in logged
