"""The invoice as a PDF (fpdf2): one A4 page per ~30 lines, labels in the customer's language.

Rendering is a pure function of the stored `InvoiceDocument`, so the same invoice always
renders the same text however often its link is opened; nothing is looked up here. fpdf2's
built-in Helvetica needs no font file on disk (nothing to ship or download), at the price of
Latin-1 text only: anything outside it (an emoji in a customer's name) is transliterated or
replaced, and amounts are written with the currency code ("79,80 EUR"), never a symbol.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Final

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from bancone_catalog.domain.invoices import InvoiceDocument

LABELS: Final[dict[str, dict[str, str]]] = {
    "it": {
        "title": "Fattura",
        "number": "Numero",
        "date": "Data",
        "order": "Ordine",
        "customer": "Cliente",
        "vat_id": "P. IVA",
        "item": "Descrizione",
        "qty": "Q.ta",
        "unit": "Prezzo unit.",
        "vat": "IVA",
        "amount": "Importo",
        "net_total": "Imponibile",
        "vat_total": "Totale IVA",
        "total": "Totale",
        "paid": "Pagata",
    },
    "en": {
        "title": "Invoice",
        "number": "Number",
        "date": "Date",
        "order": "Order",
        "customer": "Customer",
        "vat_id": "VAT no.",
        "item": "Description",
        "qty": "Qty",
        "unit": "Unit price",
        "vat": "VAT",
        "amount": "Amount",
        "net_total": "Net total",
        "vat_total": "VAT total",
        "total": "Total",
        "paid": "Paid",
    },
    "es": {
        "title": "Factura",
        "number": "Numero",
        "date": "Fecha",
        "order": "Pedido",
        "customer": "Cliente",
        "vat_id": "NIF-IVA",
        "item": "Descripcion",
        "qty": "Cant.",
        "unit": "Precio unit.",
        "vat": "IVA",
        "amount": "Importe",
        "net_total": "Base imponible",
        "vat_total": "Total IVA",
        "total": "Total",
        "paid": "Pagada",
    },
}

_SUBSTITUTES: Final = str.maketrans(
    {
        "\u2014": "-",  # em dash
        "\u2013": "-",  # en dash
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u20ac": "EUR",
        "\u0141": "L",
        "\u0142": "l",
        "\u0110": "D",
        "\u0111": "d",
    }
)
"""Characters without a Latin-1 decomposition that have an obvious stand-in."""

_COLUMNS: Final = ((95.0, "L"), (15.0, "R"), (27.0, "R"), (15.0, "R"), (28.0, "R"))
"""Width (mm) and alignment of description, quantity, unit price, VAT rate, amount."""


def latin1(text: str) -> str:
    """`text` as the core font can print it: accents kept (Latin-1 has them), other marks
    decomposed to their base letter or given an obvious stand-in (dashes, quotes, Ł), anything
    else replaced by '?'."""
    out: list[str] = []
    for char in text.translate(_SUBSTITUTES):
        if ord(char) < 256:
            out.append(char)
            continue
        base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
        out.append(base or "?")
    return "".join(out)


def money(amount: Decimal, currency: str, language: str) -> str:
    """`1234.5` → "1.234,50 EUR" (it/es) or "1,234.50 EUR" (en)."""
    text = f"{amount:,.2f}"
    if language != "en":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{text} {currency}"


def _rate(rate: Decimal) -> str:
    return f"{rate.normalize():f}%"


def render_invoice(doc: InvoiceDocument) -> bytes:
    """The invoice's PDF bytes."""
    labels = LABELS.get(doc.language, LABELS["en"])
    pdf = FPDF(format="A4")
    pdf.set_title(latin1(f"{labels['title']} {doc.number}"))
    pdf.set_author(latin1(doc.seller.legal_name))
    pdf.set_creator("Bancone")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()

    def line(text: str, *, size: float = 10, bold: bool = False, height: float = 5) -> None:
        pdf.set_font("Helvetica", "B" if bold else "", size)
        pdf.cell(0, height, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    seller = doc.seller
    line(seller.legal_name, size=14, bold=True, height=7)
    for detail in (seller.address, f"{labels['vat_id']} {seller.vat_id}" if seller.vat_id else ""):
        if detail:
            line(detail)
    if seller.email:
        line(seller.email)
    pdf.ln(6)
    line(f"{labels['title']} {doc.number}", size=16, bold=True, height=8)
    line(f"{labels['date']}: {doc.issued_at:%Y-%m-%d}")
    line(f"{labels['order']}: {doc.order_number}")
    pdf.ln(3)
    line(f"{labels['customer']}: {doc.customer_name}", bold=True)
    if doc.customer_address:
        line(doc.customer_address)
    pdf.ln(6)

    def row(cells: tuple[str, ...], *, bold: bool = False) -> None:
        pdf.set_font("Helvetica", "B" if bold else "", 10)
        for (width, align), text in zip(_COLUMNS, cells, strict=True):
            pdf.cell(width, 7, latin1(text), border="B", align=align)
        pdf.ln(7)

    row(
        (labels["item"], labels["qty"], labels["unit"], labels["vat"], labels["amount"]),
        bold=True,
    )
    for item in doc.lines:
        row(
            (
                item.description[:60],
                str(item.quantity),
                money(item.unit_price, doc.currency, doc.language),
                _rate(item.vat_rate),
                money(item.gross, doc.currency, doc.language),
            )
        )
    pdf.ln(4)
    for key, amount, bold in (
        ("net_total", doc.net_total, False),
        ("vat_total", doc.vat_total, False),
        ("total", doc.total, True),
    ):
        pdf.set_font("Helvetica", "B" if bold else "", 11 if bold else 10)
        pdf.cell(152, 7, latin1(labels[key]), align="R")
        pdf.cell(28, 7, money(amount, doc.currency, doc.language), align="R")
        pdf.ln(7)
    pdf.ln(4)
    line(labels["paid"], bold=True)
    return bytes(pdf.output())
