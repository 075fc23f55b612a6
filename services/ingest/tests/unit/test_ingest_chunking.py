"""Chunking follows headings and paragraphs within a size bound, with overlap; passages keep
page, section and language; uploads are typed or refused before any parsing."""

from __future__ import annotations

import itertools

import pytest

from bancone_ingest.domain.chunking import Block, ChunkingRules, chunk_blocks
from bancone_ingest.domain.language import guess_language
from bancone_ingest.domain.passages import (
    DocumentVersion,
    citation,
    passage_document,
)
from bancone_ingest.domain.uploads import (
    EmptyDocumentError,
    UnsupportedFormatError,
    detect_format,
    title_from_filename,
)

pytestmark = pytest.mark.unit

RULES = ChunkingRules(max_chars=200, overlap_chars=40)


def sentence(n: int) -> str:
    return f"Sentence number {n} says something useful about the product."


def test_a_heading_starts_a_new_passage_and_names_its_section() -> None:
    chunks = chunk_blocks(
        [
            Block("Duration", page=1, heading=True),
            Block("The warranty lasts 24 months.", page=1),
            Block("Exclusions", page=2, heading=True),
            Block("Limescale is not covered.", page=2),
        ],
        RULES,
    )
    assert [(c.index, c.section, c.page, c.text) for c in chunks] == [
        (0, "Duration", 1, "The warranty lasts 24 months."),
        (1, "Exclusions", 2, "Limescale is not covered."),
    ]


def test_paragraphs_join_up_to_the_bound_and_the_next_passage_overlaps_the_last() -> None:
    blocks = [Block(sentence(n), page=n) for n in range(1, 8)]
    chunks = chunk_blocks(blocks, RULES)
    assert len(chunks) > 1
    assert all(len(c.text) <= RULES.max_chars for c in chunks)
    for before, after in itertools.pairwise(chunks):
        tail = before.text[-RULES.overlap_chars :].split(" ", 1)[1]
        assert after.text.startswith(tail)
    # every sentence is whole in some passage, and a passage keeps the page it starts on
    for n in range(1, 8):
        assert any(sentence(n) in c.text for c in chunks)
    assert chunks[0].page == 1


def test_a_paragraph_longer_than_the_bound_is_split_at_sentences() -> None:
    long = " ".join(sentence(n) for n in range(10))
    chunks = chunk_blocks([Block(long)], RULES)
    assert len(chunks) >= 3
    assert all(len(c.text) <= RULES.max_chars for c in chunks)
    assert chunks[0].text.startswith(sentence(0))


def test_a_document_of_headings_or_blanks_only_has_no_passage() -> None:
    assert chunk_blocks([Block("Title", heading=True), Block("   \n ")], RULES) == []


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("La garanzia dura 24 mesi dalla consegna e copre anche il trasporto.", "it"),
        ("The warranty lasts 24 months from the date of delivery.", "en"),
        ("Los pedidos se envían en un plazo de 48 horas desde la confirmación.", "es"),
        ("24 / 36 / 48", "und"),
    ],
)
def test_the_language_of_a_passage_is_guessed_or_left_undetermined(
    text: str, language: str
) -> None:
    assert guess_language(text) == language


def test_a_passage_point_is_inactive_deterministic_and_carries_its_citation() -> None:
    [chunk] = chunk_blocks(
        [Block("Duration", page=2, heading=True), Block("The warranty lasts 24 months.", 2)]
    )
    source = DocumentVersion("shop-a", "doc-1", 3, "Warranty terms")
    point = passage_document(source, chunk)
    assert point.point_id == passage_document(source, chunk).point_id
    assert (
        point.point_id
        != passage_document(DocumentVersion("shop-a", "doc-1", 4, "Warranty terms"), chunk).point_id
    )
    assert point.kind == "document"
    assert point.payload["active"] is False
    assert point.payload["citation"] == "Warranty terms, p. 2"
    assert (point.payload["page"], point.payload["section"]) == (2, "Duration")
    assert point.payload["language"] == "und"  # too short to tell, and no document language
    english = DocumentVersion("shop-a", "doc-1", 3, "Warranty terms", language="en")
    assert passage_document(english, chunk).payload["language"] == "en"
    assert "Duration" in point.text
    assert "Warranty terms" in point.text


def test_a_citation_names_the_page_else_the_section_else_the_title() -> None:
    assert citation("Menu", 3, "Starters") == "Menu, p. 3"
    assert citation("Care guide", None, "Washing") == "Care guide, § Washing"
    assert citation("Care guide", None, None) == "Care guide"


@pytest.mark.parametrize(
    ("filename", "content_type", "head", "expected"),
    [
        ("warranty.pdf", "application/octet-stream", b"%PDF-1.7 ...", "pdf"),
        ("care.docx", None, b"PK\x03\x04...", "docx"),
        ("page.HTML", None, b"<html>", "html"),
        ("notes.md", None, b"# Title", "markdown"),
        ("menu.txt", None, b"Menu", "text"),
        ("upload", "text/plain; charset=utf-8", b"Menu", "text"),
    ],
)
def test_the_format_comes_from_the_name_or_the_declared_type(
    filename: str, content_type: str | None, head: bytes, expected: str
) -> None:
    assert detect_format(filename, content_type, head) == expected


@pytest.mark.parametrize(
    ("filename", "head"),
    [
        ("photo.jpg", b"\xff\xd8\xff"),
        ("fake.pdf", b"<html>not a pdf</html>"),
        ("fake.docx", b"plain text"),
        ("binary.txt", b"ab\x00\x01cd"),
    ],
)
def test_an_unsupported_or_disguised_file_is_refused(filename: str, head: bytes) -> None:
    with pytest.raises(UnsupportedFormatError):
        detect_format(filename, None, head)


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(EmptyDocumentError):
        detect_format("empty.txt", "text/plain", b" \n\t ")


def test_a_default_title_is_the_file_name_made_readable() -> None:
    assert title_from_filename("warranty_terms-2025.pdf") == "warranty terms 2025"
