"""Split an extracted document into passages that follow its headings and paragraphs.

A heading closes the passage in progress and names the section of those after it; paragraphs
join the passage until the size bound would be passed, and the next passage of the same
section starts with the tail of the previous one (the overlap) so a sentence cut at the edge
is still whole in one of them. A paragraph longer than the bound is split at sentence ends,
then at spaces. Each passage keeps the page it starts on and its section heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_MAX_CHARS = 1200
DEFAULT_OVERLAP_CHARS = 200

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")


@dataclass(frozen=True, slots=True)
class Block:
    """One piece of extracted text: a heading or a paragraph, with the page it is on (PDF)."""

    text: str
    page: int | None = None
    heading: bool = False


@dataclass(frozen=True, slots=True)
class Chunk:
    """One passage to embed: its position, text, starting page and section heading."""

    index: int
    text: str
    page: int | None
    section: str | None


@dataclass(frozen=True, slots=True)
class ChunkingRules:
    max_chars: int = DEFAULT_MAX_CHARS
    overlap_chars: int = DEFAULT_OVERLAP_CHARS

    def __post_init__(self) -> None:
        if self.max_chars < 100 or not 0 <= self.overlap_chars < self.max_chars // 2:
            raise ValueError("max_chars must be at least 100 and overlap below half of it")


def chunk_blocks(blocks: list[Block], rules: ChunkingRules = ChunkingRules()) -> list[Chunk]:
    """The passages of a document, in reading order; none when it has no text."""
    builder = _Builder(rules)
    for block in blocks:
        text = " ".join(block.text.split())
        if not text:
            continue
        if block.heading:
            builder.flush()
            builder.section = text[:200]
            continue
        for piece in _pieces(text, rules.max_chars - rules.overlap_chars - 1):
            builder.add(piece, block.page)
    builder.flush()
    return builder.chunks


class _Builder:
    def __init__(self, rules: ChunkingRules) -> None:
        self.rules = rules
        self.chunks: list[Chunk] = []
        self.section: str | None = None
        self._parts: list[str] = []
        self._page: int | None = None
        self._carry = ""

    def add(self, piece: str, page: int | None) -> None:
        if self._parts and self._size() + 1 + len(piece) > self.rules.max_chars:
            tail = _tail(" ".join(self._parts), self.rules.overlap_chars)
            self.flush()
            self._carry = tail
        if not self._parts:
            self._page = page
            if self._carry:
                self._parts.append(self._carry)
                self._carry = ""
        self._parts.append(piece)

    def flush(self) -> None:
        self._carry = ""
        if self._parts:
            text = " ".join(self._parts)
            self.chunks.append(Chunk(len(self.chunks), text, self._page, self.section))
        self._parts = []

    def _size(self) -> int:
        return sum(len(p) for p in self._parts) + len(self._parts) - 1


def _pieces(text: str, limit: int) -> list[str]:
    """The paragraph whole when it fits, else sentence runs (words for a giant sentence)."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text):
        for part in _words_within(sentence, limit):
            if current and len(current) + 1 + len(part) > limit:
                pieces.append(current)
                current = part
            else:
                current = f"{current} {part}" if current else part
    if current:
        pieces.append(current)
    return pieces


def _words_within(sentence: str, limit: int) -> list[str]:
    if len(sentence) <= limit:
        return [sentence]
    out: list[str] = []
    current = ""
    for word in sentence.split():
        word = word[:limit]
        if current and len(current) + 1 + len(word) > limit:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        out.append(current)
    return out


def _tail(text: str, size: int) -> str:
    """The last `size` characters of `text`, starting at a word boundary."""
    if size <= 0 or len(text) <= size:
        return "" if size <= 0 else text
    tail = text[-size:]
    space = tail.find(" ")
    return tail[space + 1 :] if space >= 0 else tail
