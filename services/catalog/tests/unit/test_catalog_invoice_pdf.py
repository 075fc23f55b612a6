"""The invoice PDF, read back as text: what a customer opening the link sees."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from bancone_catalog.adapters.invoice_pdf import latin1, money, render_invoice
from bancone_catalog.domain.invoices import InvoiceDocument, InvoiceLine, Seller

pytestmark = pytest.mark.unit


def _doc(language: str = "it", **changes: object) -> InvoiceDocument:
    fields: dict[str, object] = {
        "tenant_id": "enoteca",
        "number": "2026-000012",
        "issued_at": datetime(2026, 12, 6, 10, 30, tzinfo=UTC),
        "order_number": "A-1042",
        "seller": Seller(
            legal_name="Enoteca Rossi S.r.l.",
            vat_id="IT01234567890",
            address="Via Roma 1, 10121 Torino",
        ),
        "customer_name": "Giulia Bianchi",
        "customer_address": "Corso Italia 5, Milano",
        "language": language,
        "lines": (
            InvoiceLine(
                description="Barolo DOCG 2019 — 75 cl",
                quantity=2,
                unit_price=Decimal("39.90"),
                vat_rate=Decimal("22"),
            ),
            InvoiceLine(
                description="Grissini torinesi",
                quantity=1,
                unit_price=Decimal("4.50"),
                vat_rate=Decimal("10"),
            ),
        ),
    }
    fields.update(changes)
    return InvoiceDocument.model_validate(fields)


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_shows_seller_number_lines_and_totals() -> None:
    pdf = render_invoice(_doc())
    assert pdf.startswith(b"%PDF-")
    text = _text(pdf)
    for expected in (
        "Enoteca Rossi S.r.l.",
        "P. IVA IT01234567890",
        "Fattura 2026-000012",
        "Ordine: A-1042",
        "Giulia Bianchi",
        "Barolo DOCG 2019 - 75 cl",
        "79,80 EUR",
        "4,50 EUR",
        "Totale",
        "84,30 EUR",
    ):
        assert expected in text, expected


def test_totals_split_gross_into_net_and_vat() -> None:
    doc = _doc()
    assert doc.total == Decimal("84.30")
    # 79.80 / 1.22 = 65.41 (VAT 14.39); 4.50 / 1.10 = 4.09 (VAT 0.41)
    assert doc.net_total == Decimal("69.50")
    assert doc.vat_total == Decimal("14.80")
    assert doc.net_total + doc.vat_total == doc.total
    text = _text(render_invoice(doc))
    assert "69,50 EUR" in text
    assert "14,80 EUR" in text


def test_labels_follow_the_language() -> None:
    assert "Invoice 2026-000012" in _text(render_invoice(_doc("en")))
    assert "Factura 2026-000012" in _text(render_invoice(_doc("es")))
    assert "Invoice 2026-000012" in _text(render_invoice(_doc("de")))


def test_text_outside_latin1_never_breaks_rendering() -> None:
    assert latin1("Zoë 😀 Łódź \u2014 \u201cok\u201d") == 'Zoë ? Lódz - "ok"'
    text = _text(render_invoice(_doc(customer_name="Anna 😀 Łukasz")))
    assert "Anna ? Lukasz" in text


def test_money_is_written_in_the_reader_s_convention() -> None:
    assert money(Decimal("1234.5"), "EUR", "it") == "1.234,50 EUR"
    assert money(Decimal("1234.5"), "EUR", "en") == "1,234.50 EUR"
