"""Pick the import format and, for CSV, the kind of rows from what the caller knows."""

from __future__ import annotations

import re
from pathlib import PurePath

from bancone_catalog.domain.imports.csv_format import parse_csv
from bancone_catalog.domain.imports.json_format import parse_json
from bancone_catalog.domain.imports.rows import (
    ENTITY_KINDS,
    SECTIONS,
    EntityKind,
    ParsedCatalog,
    file_issue,
    reject,
)


def parse_catalog(
    raw: bytes | str,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    kind: EntityKind | None = None,
) -> ParsedCatalog:
    """Parse an import by its content type, else its file name, else its first character.

    A CSV file holds one kind: `kind` if given, else the one its file name names
    (`products.csv`, `enoteca-faqs.csv`, `offers_2025.csv`). Raises `InvalidImportError`
    listing every problem.
    """
    if _is_json(raw, filename, content_type):
        return parse_json(raw)
    kind = kind or kind_from_filename(filename)
    if kind is None:
        names = ", ".join(f"{SECTIONS[k]}.csv" for k in ENTITY_KINDS)
        reject([file_issue(f"a CSV import needs a kind: name the file {names} or pass the kind")])
    return parse_csv(raw, kind)


def kind_from_filename(filename: str | None) -> EntityKind | None:
    """The one kind among the words of the file name (split at `-`, `_`, `.`, spaces)."""
    if not filename:
        return None
    words = set(re.split(r"[-_. ]+", PurePath(filename).stem.lower()))
    kinds = [kind for kind in ENTITY_KINDS if words & {kind, SECTIONS[kind]}]
    return kinds[0] if len(kinds) == 1 else None


def _is_json(raw: bytes | str, filename: str | None, content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type.endswith(("/json", "+json")):
        return True
    if media_type in ("text/csv", "application/csv", "text/tab-separated-values"):
        return False
    if filename:
        suffix = PurePath(filename).suffix.lower()
        if suffix in (".json", ".csv", ".tsv", ".txt"):
            return suffix == ".json"
    head = raw[:64].decode("utf-8", "ignore") if isinstance(raw, bytes) else raw[:64]
    return head.lstrip("\ufeff \t\r\n").startswith("{")
