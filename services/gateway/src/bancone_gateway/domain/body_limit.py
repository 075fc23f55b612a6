"""A webhook body is read up to a limit and no further: Meta's payloads reach ~3 MB, and a
larger (or endless) body must not be buffered whole before it is refused."""

from __future__ import annotations

from collections.abc import AsyncIterable

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024


class BodyTooLargeError(Exception):
    """The body exceeds the limit (declared by Content-Length or counted while streaming)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body exceeds {limit} bytes")
        self.limit = limit


class BadContentLengthError(Exception):
    """The Content-Length header is not a non-negative integer."""


def check_declared_length(content_length: str | None, limit: int) -> None:
    """Refuse early when the client announces more than `limit` bytes."""
    if content_length is None:
        return
    try:
        declared = int(content_length)
    except ValueError as exc:
        raise BadContentLengthError(content_length) from exc
    if declared < 0:
        raise BadContentLengthError(content_length)
    if declared > limit:
        raise BodyTooLargeError(limit)


async def read_limited(chunks: AsyncIterable[bytes], limit: int) -> bytes:
    """Collect the body, counting bytes as they arrive; stop as soon as `limit` is passed."""
    parts: list[bytes] = []
    received = 0
    async for chunk in chunks:
        received += len(chunk)
        if received > limit:
            raise BodyTooLargeError(limit)
        parts.append(chunk)
    return b"".join(parts)
