"""The live feed: `GET /events`, Server-Sent Events of the token's tenant.

Each event is a row of the tenant's feed (`adapters.feed`): `id:` its number in the tenant's
feed, `event:` its type, `data:` JSON with `conversation_id` and the item. A client resumes
with `Last-Event-ID` (or `?after=`) and gets every event after it, in order; without either,
it gets the events from now on. Rows are numbered in commit order per tenant, so reading
`seq > cursor` misses nothing, on this replica or another. A `: ping` comment every
`HEARTBEAT_SECONDS` keeps proxies from closing an idle stream. A client resuming from an
event the tenant no longer keeps (`adapters.feed.FEED_KEEP`) first gets `event: reset`: reload.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from bancone_agent import operator_handlers as handlers
from bancone_agent.adapters.feed import RESET, FeedWaiter
from bancone_agent.adapters.inbox import BadCursorError
from bancone_agent.adapters.tables import FeedEventRecord
from bancone_agent.deps import AgentDeps
from bancone_agent.domain.commands import ReadFeed
from bancone_agent.entrypoints.web import PREFIX, Deps, TenantId, ViewerCaller

router = APIRouter(prefix=PREFIX, tags=["live feed"])

HEARTBEAT_SECONDS = 15.0
POLL_SECONDS = 1.0
"""How often a stream looks for rows committed by another replica (this replica's commits
wake it at once)."""


def sse(event: FeedEventRecord) -> str:
    data = json.dumps(event.data, separators=(",", ":"), ensure_ascii=False)
    return f"id: {event.seq}\nevent: {event.type}\ndata: {data}\n\n"


def reset(first_kept: int) -> str:
    """Events up to `first_kept - 1` were pruned: the client must reload, then go on from here
    (the id moves its `Last-Event-ID` to just before the first event it will get)."""
    data = json.dumps({"first_available": first_kept}, separators=(",", ":"))
    return f"id: {first_kept - 1}\nevent: {RESET}\ndata: {data}\n\n"


async def _stream(
    request: Request, deps: AgentDeps, tenant_id: str, after: int | None
) -> AsyncIterator[str]:
    heartbeat = getattr(request.app.state, "feed_heartbeat_seconds", HEARTBEAT_SECONDS)
    poll = getattr(request.app.state, "feed_poll_seconds", POLL_SECONDS)
    with FeedWaiter() as waiter:
        if after is None:
            after = await handlers.feed_position(tenant_id, deps)
        yield ": connected\n\n"
        beat = time.monotonic()
        while not await request.is_disconnected():
            batch = await handlers.read_feed(ReadFeed(tenant_id, after), deps)
            if batch and batch[0].seq > after + 1:
                yield reset(batch[0].seq)
            for event in batch:
                yield sse(event)
                after = event.seq
            if batch:
                continue
            if time.monotonic() - beat >= heartbeat:
                yield ": ping\n\n"
                beat = time.monotonic()
            await waiter.wait(min(poll, heartbeat))


def _cursor(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise BadCursorError("the event id is not one this feed handed out")
    return int(value)


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def events(
    request: Request,
    tenant_id: TenantId,
    _: ViewerCaller,
    deps: Deps,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
    after: Annotated[str | None, Query(max_length=20, description="Resume after this id.")] = None,
) -> StreamingResponse:
    """The tenant's live events (messages in and out, delivery statuses, conversation
    changes, notes) as Server-Sent Events; resume with `Last-Event-ID`."""
    start = _cursor(last_event_id if last_event_id is not None else after)
    return StreamingResponse(
        _stream(request, deps, tenant_id, start),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
