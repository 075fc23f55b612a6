"""Re-indexing after the embedder changed: `POST /v1/reindex` starts a run (every tenant, or
the one given) and answers 202 with it; `GET /v1/reindex/{run_id}` follows its progress.
Platform operators only: a run touches every tenant's index. 409 while another runs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from bancone_ingest.domain.reindexing import ReindexState
from bancone_ingest.reindexing import Reindexer, ReindexRun
from bancone_kit.http.auth import Platform
from bancone_kit.http.problems import Problem


class ReindexRequest(BaseModel):
    tenant_id: str | None = Field(
        default=None, description="One tenant only; unset = every tenant."
    )


class ReindexRunOut(BaseModel):
    run_id: str
    tenant_id: str | None
    state: ReindexState
    points_done: int
    points_total: int | None = Field(description="Unknown until the run has counted them.")
    reason: str | None = Field(default=None, description="Why it failed (`failed` only).")
    started_at: datetime
    finished_at: datetime | None


async def _reindexer(request: Request) -> Reindexer:
    return cast(Reindexer, request.app.state.reindexer)


ReindexerDep = Annotated[Reindexer, Depends(_reindexer)]

router = APIRouter(
    prefix="/v1/reindex",
    tags=["reindex"],
    dependencies=[Platform],
    responses={401: {"model": Problem}, 403: {"model": Problem}},
)


def _out(run: ReindexRun) -> ReindexRunOut:
    return ReindexRunOut.model_validate(run, from_attributes=True)


@router.post(
    "",
    status_code=202,
    response_model=ReindexRunOut,
    responses={409: {"model": Problem}, 422: {"model": Problem}},
)
async def start_reindex(body: ReindexRequest, reindexer: ReindexerDep) -> ReindexRunOut:
    """Embed every passage, product, FAQ and offer again with the current embedder; search
    answers from the old vectors until the new ones are all in, then from the new only."""
    return _out(reindexer.start(body.tenant_id))


@router.get("/{run_id}", response_model=ReindexRunOut, responses={404: {"model": Problem}})
async def get_reindex(run_id: str, reindexer: ReindexerDep) -> ReindexRunOut:
    return _out(reindexer.get(run_id))
