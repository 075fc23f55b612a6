"""The webhook body is refused past the limit, by header or while streaming, never buffered whole."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bancone_gateway.domain.body_limit import (
    BadContentLengthError,
    BodyTooLargeError,
    check_declared_length,
    read_limited,
)

pytestmark = pytest.mark.unit


class Chunks:
    """An endless-capable body that counts how many chunks were pulled from it."""

    def __init__(self, size: int, count: int) -> None:
        self.size, self.count, self.pulled = size, count, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.count):
            self.pulled += 1
            yield b"x" * self.size


def test_a_declared_length_over_the_limit_is_refused() -> None:
    with pytest.raises(BodyTooLargeError):
        check_declared_length("1025", 1024)


@pytest.mark.parametrize("declared", [None, "0", "1024"])
def test_a_declared_length_within_the_limit_passes(declared: str | None) -> None:
    check_declared_length(declared, 1024)


@pytest.mark.parametrize("declared", ["abc", "-1", "1e3"])
def test_an_invalid_content_length_is_refused(declared: str) -> None:
    with pytest.raises(BadContentLengthError):
        check_declared_length(declared, 1024)


async def test_a_body_exactly_at_the_limit_is_read() -> None:
    assert await read_limited(Chunks(256, 4), 1024) == b"x" * 1024


async def test_streaming_stops_at_the_first_chunk_past_the_limit() -> None:
    body = Chunks(256, 1_000_000)
    with pytest.raises(BodyTooLargeError):
        await read_limited(body, 1024)
    assert body.pulled == 5, "reading stopped at the chunk that crossed the limit"
