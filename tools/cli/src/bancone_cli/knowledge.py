"""`bancone knowledge add FILE|URL --tenant T`: upload a document (or have the ingest fetch
one from an http(s) URL, if the shop's knowledge settings allow it) and follow its ingestion
job with a progress bar until it is indexed or failed (with the reason and hint).

The server decides everything (type, size, text); this client only sends the file, polls the
job and shows its state, pages and passages as they move.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

DEFAULT_INGEST_URL = "http://127.0.0.1:8082"
FINAL_STATES = frozenset({"indexed", "failed"})


class KnowledgeError(RuntimeError):
    """The ingest refused the request or could not be reached."""


def problem_text(response: httpx.Response) -> str:
    """An RFC 9457 problem answer as one line (status, title, detail)."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    title, detail = body.get("title"), body.get("detail")
    return f"{response.status_code} {title}" + (f": {detail}" if detail else "")


class IngestClient:
    """The few document routes the CLI uses, for one tenant."""

    def __init__(self, client: httpx.Client, base_url: str, tenant: str, token: str | None):
        self._client = client
        self._base = f"{base_url.rstrip('/')}/v1/tenants/{tenant}"
        self._headers = {"authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._client.request(
                method, self._base + path, headers=self._headers, **kwargs
            )
        except httpx.HTTPError as error:
            raise KnowledgeError(f"the ingest is not reachable: {error}") from error
        if response.status_code >= 400:
            raise KnowledgeError(problem_text(response))
        body: dict[str, Any] = response.json()
        return body

    def upload(self, path: Path, title: str | None) -> dict[str, Any]:
        files = {"file": (path.name, path.read_bytes(), "application/octet-stream")}
        return self._call("POST", "/documents", files=files, data={"title": title} if title else {})

    def add_url(self, url: str, title: str | None) -> dict[str, Any]:
        body = {"url": url} | ({"title": title} if title else {})
        return self._call("POST", "/documents/from-url", json=body)

    def job(self, job_id: str) -> dict[str, Any]:
        return self._call("GET", f"/ingestion-jobs/{job_id}")


def _describe(job: dict[str, Any]) -> str:
    pages = job.get("pages_total")
    return f"{job['state']}" + (f" · {pages} pages" if pages else "")


def follow_job(
    ingest: IngestClient,
    job: dict[str, Any],
    *,
    console: Console,
    poll_seconds: float,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll the job until it is final, drawing its passages done of total."""
    deadline = time.monotonic() + timeout
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(_describe(job), total=None)
        while job["state"] not in FINAL_STATES:
            if time.monotonic() > deadline:
                raise KnowledgeError(f"still {job['state']} after {timeout:.0f}s")
            sleep(poll_seconds)
            job = ingest.job(job["job_id"])
            progress.update(
                task,
                description=_describe(job),
                total=job.get("chunks_total"),
                completed=job.get("chunks_done", 0),
            )
    return job


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def run_knowledge_add(
    path: Path | str,
    *,
    tenant: str,
    ingest_url: str,
    token: str | None,
    title: str | None = None,
    console: Console,
    client: httpx.Client | None = None,
    poll_seconds: float = 0.5,
    timeout: float = 600.0,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Upload `path` (a file, or an http(s) URL the ingest fetches) for `tenant` and wait for
    its ingestion: 0 indexed, 1 refused or failed."""
    url = str(path) if isinstance(path, str) and is_url(path) else None
    path = Path(path)
    if url is None and not path.is_file():
        console.print(f"[red]{escape(str(path))} is not a file[/]")
        return 1
    own = client is None
    http = client or httpx.Client(timeout=60.0)
    try:
        ingest = IngestClient(http, ingest_url, tenant, token)
        document = ingest.add_url(url, title) if url else ingest.upload(path, title)
        console.print(
            f"{'fetched' if url else 'uploaded'} [bold]{escape(document['title'])}[/] "
            f"(document {document['document_id']}, version {document['version']})"
        )
        job = follow_job(
            ingest,
            document["job"],
            console=console,
            poll_seconds=poll_seconds,
            timeout=timeout,
            sleep=sleep,
        )
    except KnowledgeError as error:
        console.print(f"[red]{escape(str(error))}[/]")
        return 1
    finally:
        if own:
            http.close()
    if job["state"] == "failed":
        console.print(f"[red]failed: {escape(job.get('reason') or 'unknown reason')}[/]")
        if job.get("hint"):
            console.print(f"hint: {escape(job['hint'])}")
        return 1
    console.print(f"[green]indexed[/]: {job['chunks_done']} passages searchable")
    return 0
