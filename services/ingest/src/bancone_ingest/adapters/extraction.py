"""Text out of uploaded files, as headings and paragraphs (with pages for PDFs).

pypdf reads PDFs (a password-protected one is refused, a damaged one reported as such);
python-docx reads Word files (heading styles mark sections, tables become rows of text);
BeautifulSoup reads HTML after dropping what is not content (scripts, navigation, headers,
footers, forms). Markdown and plain text are split on blank lines, `#` lines being headings.
Parsing is CPU-bound: callers run `extract` in a worker thread.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bancone_ingest.domain.chunking import Block
from bancone_ingest.domain.ingestion import (
    CorruptDocumentError,
    EncryptedDocumentError,
    IngestionFailedError,
)
from bancone_ingest.domain.uploads import DocumentFormat


@dataclass(frozen=True, slots=True)
class Extracted:
    """What a file says: its own title if it has one, its blocks, and its page count (PDF)."""

    title: str | None
    blocks: list[Block]
    pages: int | None = None


def extract(
    fmt: DocumentFormat, data: bytes, *, on_page: Callable[[int, int], None] | None = None
) -> Extracted:
    """The text of a file of format `fmt`; raises an IngestionFailedError when unreadable.

    `on_page(done, total)` is called after each PDF page (progress for long documents).
    """
    try:
        match fmt:
            case "pdf":
                return _pdf(data, on_page)
            case "docx":
                return _docx(data)
            case "html":
                return _html(_decode(data))
            case "markdown":
                return _markdown(_decode(data))
            case "text":
                return Extracted(None, _paragraphs(_decode(data)))
    except IngestionFailedError:
        raise
    except Exception as error:  # a parser's own errors: the file is not what it claims
        raise CorruptDocumentError(f"{type(error).__name__}: {error}") from error


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _paragraphs(text: str, page: int | None = None) -> list[Block]:
    return [Block(p, page) for p in re.split(r"\n\s*\n", text) if p.strip()]


# -- PDF -------------------------------------------------------------------------------------

_MAX_HEADING = 80


def _pdf(data: bytes, on_page: Callable[[int, int], None] | None) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise EncryptedDocumentError("the PDF needs a password")
        total = len(reader.pages)
        blocks: list[Block] = []
        for number, page in enumerate(reader.pages, start=1):
            blocks.extend(_pdf_blocks(page.extract_text() or "", number))
            if on_page is not None:
                on_page(number, total)
    except FileNotDecryptedError as error:
        raise EncryptedDocumentError("the PDF needs a password") from error
    except PdfReadError as error:
        raise CorruptDocumentError(str(error)) from error
    title = reader.metadata.title if reader.metadata is not None else None
    return Extracted(str(title).strip() or None if title else None, blocks, total)


def _pdf_blocks(text: str, page: int) -> Iterable[Block]:
    # PDFs carry no structure: a short line that does not end a sentence, standing after a
    # sentence's end (or first), is taken as a heading, unless the next line goes on in
    # lower case (a sentence wrapped at the margin); the lines between headings and blank
    # lines as a paragraph.
    for group in re.split(r"\n\s*\n", text):
        lines = [stripped for raw in group.splitlines() if (stripped := raw.strip())]
        paragraph: list[str] = []
        for index, line in enumerate(lines):
            after_sentence = not paragraph or paragraph[-1].endswith((".", "!", "?", ":"))
            wrapped = index + 1 < len(lines) and lines[index + 1][0].islower()
            if after_sentence and not wrapped and _looks_like_heading(line):
                if paragraph:
                    yield Block(" ".join(paragraph), page)
                    paragraph = []
                yield Block(line, page, heading=True)
            else:
                paragraph.append(line)
        if paragraph:
            yield Block(" ".join(paragraph), page)


def _looks_like_heading(line: str) -> bool:
    return (
        len(line) <= _MAX_HEADING
        and not line.endswith((".", ",", ";", ":"))
        and (line[0].isupper() or line[0].isdigit())
    )


# -- DOCX ------------------------------------------------------------------------------------


def _docx(data: bytes) -> Extracted:
    import docx

    document = docx.Document(io.BytesIO(data))
    blocks: list[Block] = []
    for paragraph in document.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        heading = style.startswith(("Heading", "Title"))
        blocks.append(Block(paragraph.text, heading=heading))
    for table in document.tables:
        rows = (" | ".join(cell.text.strip() for cell in row.cells) for row in table.rows)
        blocks.append(Block("\n".join(rows)))
    title = document.core_properties.title or None
    return Extracted(title, blocks)


# -- HTML ------------------------------------------------------------------------------------

_BOILERPLATE = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "svg")
_CONTENT = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "blockquote", "td", "dd", "dt")


def _html(markup: str) -> Extracted:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "lxml")
    for tag in soup.find_all(_BOILERPLATE):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title is not None else None
    root = soup.find("main") or soup.find("article") or soup.body or soup
    blocks: list[Block] = []
    for element in root.find_all(_CONTENT):
        if element.find_parent(_CONTENT) is not None:
            continue  # its text is in the enclosing block already
        text = element.get_text(" ", strip=True)
        blocks.append(Block(text, heading=element.name.startswith("h") and len(element.name) == 2))
    return Extracted(title or None, blocks)


# -- Markdown --------------------------------------------------------------------------------

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)")


def _markdown(text: str) -> Extracted:
    blocks: list[Block] = []
    title: str | None = None
    paragraph: list[str] = []

    def close() -> None:
        if paragraph:
            blocks.append(Block(_plain(" ".join(paragraph))))
            paragraph.clear()

    for line in text.splitlines():
        if match := _MD_HEADING.match(line):
            close()
            heading = _plain(match.group(1))
            title = title or heading
            blocks.append(Block(heading, heading=True))
        elif not line.strip():
            close()
        else:
            paragraph.append(line.strip().lstrip("-*+> ").strip())
    close()
    return Extracted(title, blocks)


def _plain(text: str) -> str:
    return _MD_EMPHASIS.sub("", _MD_LINK.sub(r"\1", text)).strip()
