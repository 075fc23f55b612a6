"""OpenAI embeddings through the async SDK, against a local stand-in for the endpoint."""

from __future__ import annotations

import json

import httpx
import pytest
from openai import AsyncOpenAI

from bancone_ingest.adapters.embedder import EmbeddingError, OpenAIEmbedder, embed_texts

pytestmark = pytest.mark.unit


def embeddings_endpoint(requests: list[dict[str, object]], dim: int) -> httpx.MockTransport:
    """Answers like /v1/embeddings, listing the items in reverse order as the API may."""

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        requests.append(body)
        items = [
            {"object": "embedding", "index": i, "embedding": [float(len(text))] * dim}
            for i, text in enumerate(body["input"])
        ]
        return httpx.Response(
            200,
            json={
                "object": "list",
                "data": items[::-1],
                "model": body["model"],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            },
        )

    return httpx.MockTransport(handle)


def client_for(transport: httpx.MockTransport) -> AsyncOpenAI:
    return AsyncOpenAI(
        api_key="test-key",
        base_url="http://embeddings.test/v1",
        http_client=httpx.AsyncClient(transport=transport),
    )


async def test_vectors_come_back_in_input_order_across_batches() -> None:
    requests: list[dict[str, object]] = []
    embedder = OpenAIEmbedder(
        client_for(embeddings_endpoint(requests, dim=4)), model="m", dim=4, batch_size=2
    )

    vectors = await embed_texts(embedder, ["a", "bb", "ccc"])

    assert vectors == [[1.0] * 4, [2.0] * 4, [3.0] * 4]
    assert [r["input"] for r in requests] == [["a", "bb"], ["ccc"]]
    assert all("dimensions" not in r for r in requests)


async def test_dimensions_are_sent_only_when_asked() -> None:
    requests: list[dict[str, object]] = []
    embedder = OpenAIEmbedder(
        client_for(embeddings_endpoint(requests, dim=8)), dim=8, send_dimensions=True
    )

    await embed_texts(embedder, ["ciao"])

    assert requests[0]["dimensions"] == 8
    assert requests[0]["model"] == "text-embedding-3-small"


async def test_vectors_of_the_wrong_size_are_refused() -> None:
    embedder = OpenAIEmbedder(client_for(embeddings_endpoint([], dim=3)), dim=1536)

    with pytest.raises(EmbeddingError):
        await embed_texts(embedder, ["ciao"])
