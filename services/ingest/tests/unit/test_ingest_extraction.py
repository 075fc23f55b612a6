"""Text comes out of every supported format as headings and paragraphs; a password-protected,
damaged or text-less file is a clear ingestion failure."""

from __future__ import annotations

import pytest

from bancone_ingest.adapters.extraction import extract
from bancone_ingest.domain.chunking import chunk_blocks
from bancone_ingest.domain.ingestion import CorruptDocumentError, EncryptedDocumentError
from services.ingest.tests.support_documents import (
    CARE_GUIDE_HTML,
    MENU_TEXT,
    SHIPPING_MARKDOWN,
    WARRANTY_PAGES,
    make_docx,
    make_pdf,
)

pytestmark = pytest.mark.unit


def test_a_pdf_gives_its_pages_and_sections() -> None:
    extracted = extract("pdf", make_pdf(WARRANTY_PAGES, title="Warranty"))
    assert (extracted.title, extracted.pages) == ("Warranty", 2)
    chunks = chunk_blocks(extracted.blocks)
    duration = next(c for c in chunks if "24 months" in c.text)
    assert (duration.page, duration.section) == (2, "Duration")


def test_a_pdf_sentence_wrapped_at_the_margin_is_not_taken_for_a_heading() -> None:
    page = [
        "Pickup",
        "Orders are ready two hours after you confirm them.",
        "We keep your order for five working days. If nobody comes",
        "by then, the order is cancelled and refunded.",
    ]
    chunks = chunk_blocks(extract("pdf", make_pdf([page])).blocks)

    assert {c.section for c in chunks} == {"Pickup"}
    assert any("If nobody comes by then" in c.text for c in chunks)


def test_a_docx_gives_its_heading_sections() -> None:
    data = make_docx([("Washing", ["Wash at 30 degrees."]), ("Ironing", ["Iron on low heat."])])
    chunks = chunk_blocks(extract("docx", data).blocks)
    assert [(c.section, c.text) for c in chunks] == [
        ("Washing", "Wash at 30 degrees."),
        ("Ironing", "Iron on low heat."),
    ]


def test_html_keeps_the_content_and_drops_navigation_scripts_and_footer() -> None:
    extracted = extract("html", CARE_GUIDE_HTML.encode())
    text = " ".join(b.text for b in extracted.blocks)
    assert extracted.title == "Guida alla cura"
    assert "panno morbido" in text
    assert not {"Negozio", "tracking", "Copyright"} & set(text.split())
    [cleaning, _] = chunk_blocks(extracted.blocks)
    assert cleaning.section == "Pulizia"


def test_markdown_headings_make_sections_and_markup_is_dropped() -> None:
    chunks = chunk_blocks(extract("markdown", SHIPPING_MARKDOWN.encode()).blocks)
    assert [c.section for c in chunks] == ["Plazos", "Devoluciones"]
    assert "embalaje original" in chunks[1].text
    assert "**" not in chunks[1].text


def test_plain_text_splits_on_blank_lines_and_latin1_is_read() -> None:
    blocks = extract("text", MENU_TEXT.encode()).blocks
    assert [b.text.split(":")[0] for b in blocks] == ["Menu of the day", "Starter", "Main course"]
    assert extract("text", "Caffè".encode("cp1252")).blocks[0].text == "Caffè"


def test_a_scanned_pdf_has_pages_but_no_text() -> None:
    extracted = extract("pdf", make_pdf([[], []]))
    assert (extracted.pages, chunk_blocks(extracted.blocks)) == (2, [])


def test_a_password_protected_pdf_is_refused_as_encrypted() -> None:
    with pytest.raises(EncryptedDocumentError):
        extract("pdf", make_pdf(WARRANTY_PAGES, password="secret"))


@pytest.mark.parametrize(
    ("fmt", "data"),
    [("pdf", b"%PDF-1.4\nnot really a pdf"), ("docx", b"PK\x03\x04 not really a zip")],
)
def test_a_damaged_file_is_refused_as_corrupt(fmt: str, data: bytes) -> None:
    with pytest.raises(CorruptDocumentError):
        extract(fmt, data)  # type: ignore[arg-type]
