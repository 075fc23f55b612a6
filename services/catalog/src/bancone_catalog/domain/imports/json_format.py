"""JSON import files: `{"products": [...], "faqs": [...], "offers": [...]}`."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from bancone_catalog.domain.imports.rows import (
    ENTITY_KINDS,
    MAX_ROWS,
    MODELS,
    SECTIONS,
    ImportIssue,
    ImportRow,
    ParsedCatalog,
    RowRef,
    build_catalog,
    file_issue,
    issues_from,
    json_field_path,
    reject,
)


def parse_json(raw: bytes | str) -> ParsedCatalog:
    """Validate every row of a JSON import; raise `InvalidImportError` listing all problems."""
    try:
        document = json.loads(raw.removeprefix("\ufeff") if isinstance(raw, str) else raw)
    except UnicodeDecodeError as error:
        reject([file_issue(f"the file is not UTF-8 text: {error.reason}")])
    except json.JSONDecodeError as error:
        reject([file_issue(f"not valid JSON: {error.msg} (column {error.colno})", error.lineno)])
    if not isinstance(document, dict):
        reject([file_issue('expected an object like {"products": [...]}')])

    issues: list[ImportIssue] = []
    known = set(SECTIONS.values())
    issues.extend(
        ImportIssue(
            path=f"$.{name}", message=f"unknown section; expected {', '.join(sorted(known))}"
        )
        for name in document
        if name not in known
    )
    rows: list[ImportRow[Any]] = []
    for kind in ENTITY_KINDS:
        section = SECTIONS[kind]
        items = document.get(section, [])
        if not isinstance(items, list):
            issues.append(ImportIssue(kind=kind, path=section, message="expected a list"))
            continue
        if len(items) > MAX_ROWS:
            issues.append(
                ImportIssue(kind=kind, path=section, message=f"more than {MAX_ROWS} rows")
            )
            continue
        for index, item in enumerate(items):
            ref = RowRef(kind=kind, index=index)
            try:
                rows.append(ImportRow(ref, MODELS[kind].model_validate(item)))
            except ValidationError as error:
                issues.extend(issues_from(error, ref, json_field_path))
    return build_catalog(rows, issues)
