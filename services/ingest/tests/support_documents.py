"""Sample documents made on the fly for the ingest's tests: PDFs (written with pypdf's own
objects, a standard font, one text line per operator), DOCX (python-docx), HTML, Markdown.

Test-only code, imported as `services.ingest.tests.support_documents`.
"""

from __future__ import annotations

import io

from docx import Document
from pypdf import PdfWriter
from pypdf.generic import (
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    TextStringObject,
)


def _pdf_escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(
    pages: list[list[str]], *, title: str | None = None, password: str | None = None
) -> bytes:
    """A PDF with one page per list, each string a line of text; an empty list is a page
    with no text layer (what a scanned page looks like to a text extractor)."""
    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )
    font_ref = writer._add_object(font)
    for lines in pages:
        page = writer.add_blank_page(width=595, height=842)
        if not lines:
            continue
        ops = ["BT", "/F1 11 Tf", "14 TL", "50 800 Td"]
        for line in lines:
            ops.append(f"({_pdf_escape(line)}) Tj T*")
        ops.append("ET")
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("cp1252"))
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font_ref})}
        )
    if title is not None:
        writer.add_metadata({"/Title": TextStringObject(title)})
    if password is not None:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(sections: list[tuple[str, list[str]]], *, title: str | None = None) -> bytes:
    """A Word file: each section a heading and its paragraphs."""
    document = Document()
    if title is not None:
        document.core_properties.title = title
    for heading, paragraphs in sections:
        document.add_heading(heading, level=1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


WARRANTY_PAGES = [
    [
        "Warranty terms",
        "",
        "These terms apply to every espresso machine sold by our shop.",
    ],
    [
        "Duration",
        "",
        "The warranty lasts 24 months from the date of delivery.",
        "Keep the receipt: it is the proof of purchase we ask for.",
        "",
        "Exclusions",
        "",
        "Limescale damage is not covered: descale the machine every 3 months.",
    ],
]
"""A two-page warranty whose duration sits on page 2."""

CARE_GUIDE_HTML = """<!doctype html>
<html><head><title>Guida alla cura</title><script>var tracking = 1;</script></head>
<body>
<nav><a href="/">Home</a> <a href="/shop">Negozio</a></nav>
<main>
<h1>Guida alla cura del cuoio</h1>
<h2>Pulizia</h2>
<p>Pulite la borsa con un panno morbido e asciutto una volta alla settimana.</p>
<h2>Idratazione</h2>
<p>Applicate la crema nutriente per il cuoio ogni due mesi, poi lucidate.</p>
</main>
<footer>Copyright Pelletteria</footer>
</body></html>
"""

SHIPPING_MARKDOWN = """# Condiciones de envío

## Plazos

Los pedidos se envían en un plazo de 48 horas laborables desde la confirmación del pago.

## Devoluciones

Tiene 14 días para devolver un producto sin usar, con el **embalaje original**.
"""

MENU_TEXT = """Menu of the day

Starter: bruschetta with tomatoes and basil.

Main course: risotto with porcini mushrooms, ready in 20 minutes.
"""
