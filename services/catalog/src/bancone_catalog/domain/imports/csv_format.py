"""CSV import files: one kind per file, a header row, lists as `a|b|c`, attributes as `attr.x`,
translations as `<field>.<language>` (`answer.en`, `description.es`).

Product variants are rows too: a row with a `parent_sku` is a variant of the product row with
that sku in the same file; it gives the variant's `sku`, `variant_label`, and optionally its
`price`, `currency`, `stock`, `active` and `attr.*` (the product's other columns are left empty).
A product with variant rows in the file gets exactly those variants.

Spreadsheets export with `,` or `;` (the Italian default) or tabs; the header row tells which.
Empty cells mean "not given", so a column's default applies.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from pydantic import ValidationError

from bancone_catalog.domain.faqs import FAQ_TRANSLATABLE
from bancone_catalog.domain.imports.rows import (
    MAX_ROWS,
    MODELS,
    NATURAL_KEYS,
    EntityKind,
    ImportIssue,
    ImportRow,
    ParsedCatalog,
    RowRef,
    build_catalog,
    file_issue,
    issues_from,
    reject,
)
from bancone_catalog.domain.offers import OFFER_TRANSLATABLE
from bancone_catalog.domain.products import PRODUCT_TRANSLATABLE, ProductCreate
from bancone_catalog.domain.variants import VariantIn

LIST_SEPARATOR = "|"
PARENT_COLUMN = "parent_sku"
LABEL_COLUMN = "variant_label"
VARIANT_FIELDS = ("sku", "price", "currency", "stock", "active", "attributes")
ATTRIBUTE_PREFIX = "attr."
COLUMNS: dict[EntityKind, frozenset[str]] = {
    "product": frozenset(
        {
            "sku",
            "name",
            "description",
            "category",
            "price",
            "currency",
            "stock",
            "active",
            "tags",
            PARENT_COLUMN,
            LABEL_COLUMN,
        }
    ),
    "faq": frozenset({"key", "question", "answer", "language", "tags"}),
    "offer": frozenset(
        {
            "code",
            "title",
            "description",
            "discount_percent",
            "product_skus",
            "valid_from",
            "valid_until",
        }
    ),
}
LIST_COLUMNS = frozenset({"tags", "product_skus"})
TRANSLATABLE: dict[EntityKind, frozenset[str]] = {
    "product": PRODUCT_TRANSLATABLE,
    "faq": FAQ_TRANSLATABLE,
    "offer": OFFER_TRANSLATABLE,
}
_TRANSLATION = re.compile(r"^([a-z_]+)\.([a-z]{2,3}(?:-[a-z]{2})?)$")


def _translation_column(column: str, kind: EntityKind) -> tuple[str, str] | None:
    """(field, language) for a translation column of this kind (`answer.en`), else None."""
    match = _TRANSLATION.match(column)
    if match is None or match[1] not in TRANSLATABLE[kind]:
        return None
    return match[1], match[2]


HEADER_LINE = 1


def parse_csv(raw: bytes | str, kind: EntityKind) -> ParsedCatalog:
    """Validate every row of a CSV import of one kind; raise `InvalidImportError` listing all."""
    text = _decode(raw)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    header = next(reader, None)
    if header is None:
        reject([file_issue("the file is empty; expected a header row", HEADER_LINE)])
    columns = [name.strip().lower() for name in header]
    _check_header(columns, kind)

    rows: list[ImportRow[Any]] = []
    variant_rows: list[tuple[RowRef, dict[str, Any]]] = []
    issues: list[ImportIssue] = []
    index = 0
    last_line = reader.line_num
    try:
        for cells in reader:
            ref = RowRef(kind=kind, index=index, line=last_line + 1)
            last_line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            index += 1
            if index > MAX_ROWS:
                reject([file_issue(f"more than {MAX_ROWS} rows", ref.line)])
            if len(cells) > len(columns):
                message = f"{len(cells)} cells but the header has {len(columns)} columns"
                issues.append(ref.issue(message))
                continue
            record = _record(columns, cells, kind)
            if PARENT_COLUMN in record:
                variant_rows.append((ref, record))
                continue
            if LABEL_COLUMN in record:
                issues.append(ref.issue(f"{LABEL_COLUMN} needs a {PARENT_COLUMN}", LABEL_COLUMN))
                continue
            try:
                item = MODELS[kind].model_validate(record)
            except ValidationError as error:
                issues.extend(issues_from(error, ref, _column_of))
            else:
                rows.append(ImportRow(ref, item))
    except csv.Error as error:
        issues.append(file_issue(f"unreadable CSV: {error}", reader.line_num))
    return build_catalog(_with_variants(rows, variant_rows, issues), issues)


def _with_variants(
    rows: list[ImportRow[Any]],
    variant_rows: list[tuple[RowRef, dict[str, Any]]],
    issues: list[ImportIssue],
) -> list[ImportRow[Any]]:
    """The product rows, each parent given its variant rows (problems go to `issues`)."""
    if not variant_rows:
        return rows
    found: dict[str, list[dict[str, Any]]] = {}
    first_ref: dict[str, RowRef] = {}
    for ref, record in variant_rows:
        parent = record[PARENT_COLUMN]
        variant = {name: record[name] for name in VARIANT_FIELDS if name in record}
        variant["label"] = record.get(LABEL_COLUMN)
        try:
            VariantIn.model_validate(variant)
        except ValidationError as error:
            issues.extend(issues_from(error, ref, _variant_column_of))
            continue
        found.setdefault(parent, []).append(variant)
        first_ref.setdefault(parent, ref)
    position = {row.item.sku: i for i, row in enumerate(rows)}
    for parent, variants in found.items():
        if parent not in position:
            message = f"{PARENT_COLUMN} {parent!r} is not a product row of this file"
            issues.append(first_ref[parent].issue(message, PARENT_COLUMN))
            continue
        row = rows[position[parent]]
        given = row.item.model_dump(exclude_unset=True)
        try:
            item = ProductCreate.model_validate({**given, "variants": variants})
        except ValidationError as error:
            issues.extend(issues_from(error, row.ref, _column_of))
            continue
        rows[position[parent]] = ImportRow(row.ref, item)
    return rows


def _variant_column_of(loc: tuple[Any, ...]) -> str:
    return LABEL_COLUMN if loc and loc[0] == "label" else _column_of(loc)


def _decode(raw: bytes | str) -> str:
    if isinstance(raw, str):
        return raw.removeprefix("\ufeff")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        reject([file_issue("the file is not UTF-8 text; save it as 'CSV UTF-8'", line)])


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=header.count)


def _check_header(columns: list[str], kind: EntityKind) -> None:
    def header_issue(message: str, column: str | None = None) -> ImportIssue:
        return ImportIssue(kind=kind, line=HEADER_LINE, field=column, path="$", message=message)

    issues = []
    allowed = COLUMNS[kind]
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            issues.append(header_issue(f"column {column!r} appears twice", column))
        seen.add(column)
        is_attribute = kind == "product" and column.startswith(ATTRIBUTE_PREFIX)
        is_translation = _translation_column(column, kind) is not None
        if column not in allowed and not is_attribute and not is_translation:
            expected = ", ".join(sorted(allowed)) + (", attr.*" if kind == "product" else "")
            expected += ", " + ", ".join(f"{f}.<language>" for f in sorted(TRANSLATABLE[kind]))
            issues.append(header_issue(f"unknown column {column!r}; expected {expected}", column))
    key = NATURAL_KEYS[kind]
    if key not in seen:
        issues.append(header_issue(f"missing the {key!r} column", key))
    if issues:
        reject(issues)


def _record(columns: list[str], cells: list[str], kind: EntityKind) -> dict[str, Any]:
    record: dict[str, Any] = {}
    attributes: dict[str, str] = {}
    translations: dict[str, dict[str, str]] = {}
    for column, cell in zip(columns, cells, strict=False):
        value = cell.strip()
        if not value:
            continue
        translated = _translation_column(column, kind)
        if translated is not None:
            translations.setdefault(translated[1], {})[translated[0]] = value
        elif kind == "product" and column.startswith(ATTRIBUTE_PREFIX):
            attributes[column.removeprefix(ATTRIBUTE_PREFIX)] = value
        elif column in LIST_COLUMNS:
            record[column] = [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
        else:
            record[column] = value
    if attributes:
        record["attributes"] = attributes
    if translations:
        record["translations"] = translations
    return record


def _column_of(loc: tuple[Any, ...]) -> str:
    """The CSV column a pydantic error location points at (`attributes.colour` → `attr.colour`)."""
    if not loc:
        return ""
    if loc[0] == "attributes" and len(loc) > 1:
        return f"{ATTRIBUTE_PREFIX}{loc[1]}"
    if loc[0] == "translations" and len(loc) > 2:
        return f"{loc[2]}.{loc[1]}"
    return str(loc[0])
