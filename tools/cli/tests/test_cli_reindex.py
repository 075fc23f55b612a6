"""`bancone knowledge reindex` starts a run (every tenant, or one), follows its progress and
exits 0 only when the run is done."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from rich.console import Console

from bancone_cli.reindex import run_reindex

pytestmark = pytest.mark.unit

INGEST = "http://ingest.test"


def run(state: str, done: int = 0, total: int | None = None, **fields: Any) -> dict[str, Any]:
    return {"run_id": "run-1", "state": state, "points_done": done, "points_total": total} | fields


def serve(
    start: httpx.Response, polls: list[dict[str, Any]]
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    answers: Iterator[dict[str, Any]] = iter(polls)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return start
        return httpx.Response(200, json=next(answers))

    return httpx.MockTransport(handle), seen


def reindex(transport: httpx.MockTransport, tenant: str | None = None) -> tuple[int, str]:
    out = io.StringIO()
    with httpx.Client(transport=transport) as client:
        code = run_reindex(
            tenant=tenant,
            ingest_url=INGEST,
            token="platform-token",
            console=Console(file=out, width=200, force_terminal=False),
            client=client,
            poll_seconds=0,
            sleep=lambda _: None,
        )
    return code, out.getvalue()


def test_every_tenant_is_reindexed_and_followed_until_done() -> None:
    transport, seen = serve(
        httpx.Response(202, json=run("running")),
        [run("running", 64, 300), run("running", 256, 300), run("done", 300, 300)],
    )

    code, output = reindex(transport)

    assert code == 0
    assert "done: 300 points" in output
    start, *polls = seen
    assert (start.method, str(start.url), json.loads(start.content)) == (
        "POST",
        f"{INGEST}/v1/reindex",
        {},
    )
    assert start.headers["authorization"] == "Bearer platform-token"
    assert [str(p.url) for p in polls] == [f"{INGEST}/v1/reindex/run-1"] * 3


def test_one_tenant_is_named_in_the_request() -> None:
    transport, seen = serve(httpx.Response(202, json=run("running")), [run("done", 5, 5)])

    code, _ = reindex(transport, tenant="demo")

    assert code == 0
    assert json.loads(seen[0].content) == {"tenant_id": "demo"}


def test_a_failed_run_exits_1_with_its_reason() -> None:
    transport, _ = serve(
        httpx.Response(202, json=run("running")),
        [run("failed", 10, 300, reason="QdrantUnavailable")],
    )

    code, output = reindex(transport)

    assert code == 1
    assert "QdrantUnavailable" in output


def test_a_run_already_going_is_a_refusal_with_the_problem() -> None:
    problem = {"title": "Re-index already running", "status": 409, "detail": "run-0 is running"}
    transport, seen = serve(httpx.Response(409, json=problem), [])

    code, output = reindex(transport)

    assert code == 1
    assert "409 Re-index already running: run-0 is running" in output
    assert len(seen) == 1
