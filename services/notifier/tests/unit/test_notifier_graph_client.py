"""The httpx Graph API client: the URL and bearer it sends, and what each failure means."""

from __future__ import annotations

import httpx
import pytest

from bancone_notifier.adapters.graph import HttpxGraphApi
from bancone_notifier.domain.sending import Accepted, NotSent, Unknown

pytestmark = pytest.mark.unit

BODY = {"messaging_product": "whatsapp", "to": "39333", "type": "text", "text": {"body": "Ciao"}}


def client_answering(handler: httpx.MockTransport) -> HttpxGraphApi:
    http = httpx.AsyncClient(transport=handler)
    return HttpxGraphApi(http, "https://graph.test/", "v25.0")


async def test_posts_the_body_to_the_numbers_messages_edge_with_the_bearer() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"messages": [{"id": "wamid.X"}]})

    outcome = await client_answering(httpx.MockTransport(answer)).send_message(
        "1065", "EAAG-token", BODY
    )

    assert outcome == Accepted("wamid.X")
    [request] = seen
    assert str(request.url) == "https://graph.test/v25.0/1065/messages"
    assert request.headers["authorization"] == "Bearer EAAG-token"
    assert request.read() == httpx.Request("POST", "/", json=BODY).read()


@pytest.mark.parametrize("error", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
async def test_a_request_that_never_left_is_not_sent(error: type[httpx.TransportError]) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error("no route", request=request)

    outcome = await client_answering(httpx.MockTransport(fail)).send_message("1065", "t", BODY)

    assert isinstance(outcome, NotSent)


@pytest.mark.parametrize(
    "error", [httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError, httpx.ReadError]
)
async def test_a_request_that_may_have_arrived_has_an_unknown_outcome(
    error: type[httpx.TransportError],
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error("lost", request=request)

    outcome = await client_answering(httpx.MockTransport(fail)).send_message("1065", "t", BODY)

    assert outcome == Unknown(error.__name__)
