"""`bancone knowledge reindex [--tenant T]`: embed the knowledge index again after the embedder
changed (every tenant, or one), following the run with a progress bar until it is done or
failed. A platform operator's command: a run touches every tenant's index (docs/knowledge.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from bancone_cli.knowledge import KnowledgeError, problem_text


def _call(
    client: httpx.Client, method: str, url: str, token: str | None, **kwargs: Any
) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    try:
        response = client.request(method, url, headers=headers, **kwargs)
    except httpx.HTTPError as error:
        raise KnowledgeError(f"the ingest is not reachable: {error}") from error
    if response.status_code >= 400:
        raise KnowledgeError(problem_text(response))
    body: dict[str, Any] = response.json()
    return body


def run_reindex(
    *,
    tenant: str | None,
    ingest_url: str,
    token: str | None,
    console: Console,
    client: httpx.Client | None = None,
    poll_seconds: float = 1.0,
    timeout: float = 6 * 3600.0,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Start a re-index and follow it: 0 done, 1 refused or failed."""
    base = f"{ingest_url.rstrip('/')}/v1/reindex"
    own = client is None
    http = client or httpx.Client(timeout=60.0)
    try:
        run = _call(http, "POST", base, token, json={"tenant_id": tenant} if tenant else {})
        console.print(
            f"re-index {run['run_id']} started ({'tenant ' + tenant if tenant else 'every tenant'})"
        )
        deadline = time.monotonic() + timeout
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
        )
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("points re-embedded", total=run.get("points_total"))
            while run["state"] == "running":
                if time.monotonic() > deadline:
                    raise KnowledgeError(f"still running after {timeout:.0f}s")
                sleep(poll_seconds)
                run = _call(http, "GET", f"{base}/{run['run_id']}", token)
                progress.update(task, total=run.get("points_total"), completed=run["points_done"])
    except KnowledgeError as error:
        console.print(f"[red]{escape(str(error))}[/]")
        return 1
    finally:
        if own:
            http.close()
    if run["state"] != "done":
        console.print(f"[red]failed: {escape(run.get('reason') or 'unknown reason')}[/]")
        return 1
    console.print(f"[green]done[/]: {run['points_done']} points, search answers from them now")
    return 0
