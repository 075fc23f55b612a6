"""What both import formats share: row references, issues, duplicate checks, the result."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, NoReturn, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from bancone_catalog.domain.errors import InvalidImportError
from bancone_catalog.domain.faqs import FaqCreate
from bancone_catalog.domain.offers import OfferCreate
from bancone_catalog.domain.products import ProductCreate

EntityKind = Literal["product", "faq", "offer"]
ENTITY_KINDS: tuple[EntityKind, ...] = ("product", "faq", "offer")
SECTIONS: dict[EntityKind, str] = {"product": "products", "faq": "faqs", "offer": "offers"}
MODELS: dict[EntityKind, type[BaseModel]] = {
    "product": ProductCreate,
    "faq": FaqCreate,
    "offer": OfferCreate,
}
NATURAL_KEYS: dict[EntityKind, str] = {"product": "sku", "faq": "key", "offer": "code"}
MAX_ROWS = 50_000

ItemT = TypeVar("ItemT", ProductCreate, FaqCreate, OfferCreate)


class ImportIssue(BaseModel):
    """One problem in an import file: where it is and what is wrong, in words for a human.

    `path` is the JSON-style location (`products[3].price`) for both formats; `line` is the
    1-based line of the CSV row (the header is line 1), or of a JSON syntax error.
    """

    model_config = ConfigDict(frozen=True)

    kind: EntityKind | None = None
    index: int | None = None
    line: int | None = None
    field: str | None = None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else self.path
        if self.line is not None and self.field:
            where += f", {self.field}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class RowRef:
    """Where a row came from, so a later check (an offer's unknown sku) can point at it."""

    kind: EntityKind
    index: int
    line: int | None = None

    def issue(self, message: str, field: str | None = None) -> ImportIssue:
        path = f"{SECTIONS[self.kind]}[{self.index}]" + (f".{field}" if field else "")
        return ImportIssue(
            kind=self.kind,
            index=self.index,
            line=self.line,
            field=field,
            path=path,
            message=message,
        )


@dataclass(frozen=True)
class ImportRow(Generic[ItemT]):
    ref: RowRef
    item: ItemT


@dataclass(frozen=True)
class ParsedCatalog:
    """A whole import file that passed validation, rows in file order."""

    products: list[ImportRow[ProductCreate]] = field(default_factory=list)
    faqs: list[ImportRow[FaqCreate]] = field(default_factory=list)
    offers: list[ImportRow[OfferCreate]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.products) + len(self.faqs) + len(self.offers)


def file_issue(message: str, line: int | None = None) -> ImportIssue:
    return ImportIssue(line=line, path="$", message=message)


def reject(issues: list[ImportIssue]) -> NoReturn:
    raise InvalidImportError(issues)


def issues_from(
    error: ValidationError, ref: RowRef, name_of: Callable[[tuple[Any, ...]], str]
) -> list[ImportIssue]:
    """Pydantic's errors for one row, each pinned to the row and the offending field."""
    issues = []
    for detail in error.errors(include_url=False):
        loc = tuple(detail["loc"])
        issues.append(ref.issue(detail["msg"], name_of(loc) or None))
    return issues


def json_field_path(loc: tuple[Any, ...]) -> str:
    """`('attributes', 'colour')` → `attributes.colour`, `('tags', 2)` → `tags[2]`."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def check_duplicates(rows: Iterable[ImportRow[Any]]) -> list[ImportIssue]:
    """A natural key twice in one file is ambiguous (which row wins?), so it is an error."""
    issues = []
    first_seen: dict[tuple[EntityKind, str], RowRef] = {}
    for row in rows:
        key_field = NATURAL_KEYS[row.ref.kind]
        key = getattr(row.item, key_field)
        first = first_seen.setdefault((row.ref.kind, key), row.ref)
        if first is not row.ref:
            where = f"line {first.line}" if first.line is not None else f"index {first.index}"
            issues.append(
                row.ref.issue(f"duplicate {key_field} {key!r} (first at {where})", key_field)
            )
    return issues


def build_catalog(rows: list[ImportRow[Any]], issues: list[ImportIssue]) -> ParsedCatalog:
    """The parsed catalog, or every issue found (parse + duplicates) raised at once."""
    issues = issues + check_duplicates(rows)
    if issues:
        reject(issues)
    return ParsedCatalog(
        products=[row for row in rows if row.ref.kind == "product"],
        faqs=[row for row in rows if row.ref.kind == "faq"],
        offers=[row for row in rows if row.ref.kind == "offer"],
    )
