"""Bulk import files: parse a whole JSON or CSV catalogue and validate every row before any write.

A shop owner fixes a file faster with the full list of problems than one at a time, so
parsing never stops at the first bad row: it collects an `ImportIssue` for each (with the
CSV line, or the JSON path such as `products[3].price`) and raises `InvalidImportError` with
all of them. Only a file without a single issue becomes a `ParsedCatalog`.
"""

from bancone_catalog.domain.imports.csv_format import parse_csv
from bancone_catalog.domain.imports.detect import parse_catalog
from bancone_catalog.domain.imports.json_format import parse_json
from bancone_catalog.domain.imports.report import ImportReport, KindCounts
from bancone_catalog.domain.imports.rows import (
    ENTITY_KINDS,
    EntityKind,
    ImportIssue,
    ImportRow,
    ParsedCatalog,
    RowRef,
)

__all__ = [
    "ENTITY_KINDS",
    "EntityKind",
    "ImportIssue",
    "ImportReport",
    "ImportRow",
    "KindCounts",
    "ParsedCatalog",
    "RowRef",
    "parse_catalog",
    "parse_csv",
    "parse_json",
]
