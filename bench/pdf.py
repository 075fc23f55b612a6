"""A minimal PDF writer (standard library only): one page per list of lines, Helvetica,
WinAnsi text. Enough for text extractors, which is all the knowledge bench and the demo
shop's sample PDF need.

    uv run python -m bench.pdf deploy/local/demo/knowledge/sources/degustazioni.txt \
        deploy/local/demo/knowledge/degustazioni.pdf

turns a text file (pages separated by form feeds, the first line its title) into a PDF.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
LEADING = 14


def _text(line: str) -> bytes:
    escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("cp1252") + b")"


def _content(lines: Sequence[str]) -> bytes:
    ops = [b"BT", b"/F1 11 Tf", f"{LEADING} TL".encode(), f"50 {PAGE_HEIGHT - 42} Td".encode()]
    ops.extend(_text(line) + b" Tj T*" for line in lines)
    ops.append(b"ET")
    return b"\n".join(ops)


def _string(value: str) -> bytes:
    return _text(value)


def minimal_pdf(pages: Sequence[Sequence[str]], *, title: str | None = None) -> bytes:
    """A PDF with one page per entry, each string one line of text."""
    # 1 catalog, 2 page tree, 3 font, 4 info, then a page and its content stream per page.
    page_ids = [5 + 2 * i for i in range(len(pages))]
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(f"{n} 0 R".encode() for n in page_ids)
        + f"] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Producer (bancone bench) " + (b"/Title " + _string(title) if title else b"") + b">>",
    ]
    for number, lines in zip(page_ids, pages, strict=True):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {number + 1} 0 R >>".encode()
        )
        stream = _content(lines)
        objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 4 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def pages_of(text: str) -> list[list[str]]:
    """A text file's pages (split at form feeds), each a list of lines."""
    return [page.strip("\n").splitlines() for page in text.split("\f")]


def main(argv: Sequence[str]) -> int:
    source, target = Path(argv[0]), Path(argv[1])
    pages = pages_of(source.read_text(encoding="utf-8"))
    target.write_bytes(minimal_pdf(pages, title=pages[0][0]))
    print(f"{target}: {len(pages)} pages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
