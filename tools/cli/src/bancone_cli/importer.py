"""`bancone import`: upload a JSON or CSV catalogue to the catalog service's bulk import.

The server validates every row before importing any; this client streams the file with a
progress bar, then shows either the import summary or the rejected rows by line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

Kind = Literal["products", "faqs", "offers"]
KINDS: tuple[Kind, ...] = ("products", "faqs", "offers")
DEFAULT_CATALOG_URL = "http://127.0.0.1:8081"
CHUNK_SIZE = 64 * 1024


class ImportFileError(ValueError):
    """The file cannot be sent as it is (unknown format, unknown kind)."""


@dataclass(frozen=True)
class ImportRequest:
    """The bytes, content type, file name and kind (CSV only) of one import upload."""

    body: bytes
    content_type: str
    kind: Kind | None
    filename: str = ""

    def params(self) -> dict[str, str]:
        """Query parameters: the file name, and for CSV the kind in the catalog's singular
        (`product`, `faq`, `offer`)."""
        params = {"filename": self.filename} if self.filename else {}
        if self.kind:
            params["kind"] = self.kind.removesuffix("s")
        return params


def _kind_from_name(path: Path) -> Kind | None:
    """The one kind named among the words of the file name (`enoteca-products.csv`)."""
    words = set(re.split(r"[-_. ]+", path.stem.lower()))
    matches = [kind for kind in KINDS if words & {kind, kind.removesuffix("s")}]
    return matches[0] if len(matches) == 1 else None


def prepare_import(path: Path, kind: Kind | None = None) -> ImportRequest:
    """JSON goes as is (a bare list is wrapped under `kind`); CSV needs a kind, from the option
    or from the file name (`products.csv`, `enoteca-faqs.csv`)."""
    raw = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".json":
        document = json.loads(raw)
        if isinstance(document, list):
            if kind is None:
                raise ImportFileError(f"{path} holds a bare list: say which --kind it is")
            raw = json.dumps({kind: document}, ensure_ascii=False).encode("utf-8")
        elif not isinstance(document, dict):
            raise ImportFileError(f"{path} must hold an object with products/faqs/offers")
        return ImportRequest(
            body=raw, content_type="application/json", kind=None, filename=path.name
        )
    if suffix == ".csv":
        resolved = kind or _kind_from_name(path)
        if resolved is None:
            raise ImportFileError(f"cannot tell what {path.name} holds: pass --kind")
        return ImportRequest(
            body=raw, content_type="text/csv; charset=utf-8", kind=resolved, filename=path.name
        )
    raise ImportFileError(f"{path.name}: only .json and .csv files can be imported")


def _kb(size: int) -> str:
    return f"{size / 1000:.1f}"


def _chunks(body: bytes, progress: Progress, sending: TaskID, waiting: TaskID) -> Iterator[bytes]:
    """Yield the body in chunks, advancing the upload bar; the server's turn starts after."""
    total = _kb(len(body))
    for start in range(0, len(body), CHUNK_SIZE):
        chunk = body[start : start + CHUNK_SIZE]
        yield chunk
        done = start + len(chunk)
        progress.update(sending, completed=done, detail=f"{_kb(done)}/{total} kB")
    progress.start_task(waiting)
    progress.update(waiting, detail="waiting for the catalog")


def upload(
    client: httpx.Client,
    catalog_url: str,
    tenant: str,
    request: ImportRequest,
    *,
    token: str | None,
    console: Console,
) -> httpx.Response:
    """POST the file to `/v1/tenants/{tenant}/import`, showing upload and server progress."""
    headers = {"Content-Type": request.content_type, "Content-Length": str(len(request.body))}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = f"{catalog_url.rstrip('/')}/v1/tenants/{tenant}/import"
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[detail]}"),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        sending = progress.add_task("upload", total=len(request.body), detail="")
        waiting = progress.add_task("validate + import", total=None, start=False, detail="")
        stream = _chunks(request.body, progress, sending, waiting)
        response = client.post(url, content=stream, headers=headers, params=request.params())
        progress.update(waiting, total=1, completed=1, detail=f"HTTP {response.status_code}")
    return response


def _row_errors(document: Any) -> list[dict[str, Any]]:
    """Find the per-row errors in a 422 body, tolerating the common shapes."""
    if isinstance(document, dict):
        for key in ("issues", "errors", "invalid_rows", "rows", "detail"):
            value = document.get(key)
            if isinstance(value, list):
                return [item for item in value if isinstance(item, dict)]
    if isinstance(document, list):
        return [item for item in document if isinstance(item, dict)]
    return []


def _field_of(error: dict[str, Any]) -> str:
    if error.get("field"):
        return str(error["field"])
    loc = error.get("loc")
    if isinstance(loc, list):
        return ".".join(str(part) for part in loc)
    return ""


def _line_of(error: dict[str, Any]) -> Any:
    for key in ("line", "line_number", "row"):
        if error.get(key) is not None:
            return error[key]
    return None


def _where(error: dict[str, Any]) -> str:
    """The CSV line when there is one, else the JSON path (`products[3].price`)."""
    line = _line_of(error)
    if line is not None:
        return str(line)
    return str(error.get("path") or error.get("index") or "")


def show_rejected_rows(document: Any, console: Console) -> None:
    """Print the bad rows as a table ordered by line."""
    errors = _row_errors(document)
    if not errors:
        console.print(escape(json.dumps(document, ensure_ascii=False, indent=2)))
        return
    table = Table(title="Rejected rows (nothing was imported)", title_justify="left")
    for column in ("line / path", "kind", "field", "problem"):
        table.add_column(column)

    def order(error: dict[str, Any]) -> tuple[int, str]:
        line = _line_of(error)
        return (line if isinstance(line, int) else 10**9, str(line))

    for error in sorted(errors, key=order):
        message = error.get("message") or error.get("msg") or error.get("problem") or error
        table.add_row(
            _where(error),
            str(error.get("kind", "")),
            _field_of(error),
            escape(str(message)),
        )
    console.print(table)


def show_summary(document: Any, console: Console) -> None:
    """Counts per kind when the server reports them that way, else the JSON as received."""
    if isinstance(document, dict):
        counted = {k: v for k, v in document.items() if isinstance(v, dict)}
        if counted and all(
            isinstance(n, int) for counts in counted.values() for n in counts.values()
        ):
            columns = list(dict.fromkeys(name for counts in counted.values() for name in counts))
            table = Table(title="Imported", title_justify="left")
            table.add_column("kind")
            for name in columns:
                table.add_column(name, justify="right")
            for kind, counts in counted.items():
                table.add_row(kind, *(str(counts.get(name, 0)) for name in columns))
            console.print(table)
            return
    console.print(escape(json.dumps(document, ensure_ascii=False, indent=2)))


def run_import(
    path: Path,
    *,
    tenant: str,
    kind: Kind | None,
    catalog_url: str,
    token: str | None,
    console: Console,
    client: httpx.Client | None = None,
) -> int:
    """The whole command: 0 when imported, 1 when the server refused it, 2 on a local error."""
    try:
        request = prepare_import(path, kind)
    except (ImportFileError, OSError, json.JSONDecodeError) as error:
        console.print(f"[red]{escape(str(error))}[/]")
        return 2
    http = client or httpx.Client(timeout=httpx.Timeout(300.0, connect=10.0))
    try:
        response = upload(http, catalog_url, tenant, request, token=token, console=console)
    except httpx.HTTPError as error:
        console.print(f"[red]catalog unreachable at {escape(catalog_url)}: {escape(str(error))}[/]")
        return 2
    finally:
        if client is None:
            http.close()
    try:
        document: Any = response.json()
    except ValueError:
        document = response.text
    if response.is_success:
        show_summary(document, console)
        return 0
    if response.status_code == 422:
        show_rejected_rows(document, console)
        return 1
    if response.status_code in (401, 403):
        console.print(
            "[red]the catalog refused the credential: log in as an admin or owner of the tenant "
            "(--token, or BANCONE_OPERATOR_EMAIL / BANCONE_OPERATOR_PASSWORD)[/]"
        )
        return 1
    console.print(f"[red]import failed with HTTP {response.status_code}[/]")
    console.print(escape(json.dumps(document, ensure_ascii=False, indent=2)))
    return 1
