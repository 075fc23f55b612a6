"""The garbage collector's pauses: measured, and shortened by freezing the startup heap.

While Python collects, the event loop stands still and every request in flight waits (a
webhook's ack, a consumer's commit). A full (generation 2) collection walks every tracked
object, and most of a service's objects are its startup heap: modules, FastAPI and pydantic
models, SQLAlchemy metadata, OpenTelemetry and FastStream objects, never garbage. Walking
them took 100-375 ms per full collection in every service, every few seconds in the notifier
under load (docs/benchmarks.md, session 24): the stalls behind the webhook ladder's p99.

`freeze_startup_heap` moves what exists once the app has started to the permanent generation
(`gc.freeze`), so later collections walk only what was made since. `watch_gc_pauses` keeps a
histogram per generation and logs a pause long enough to show in a p99.
"""

from __future__ import annotations

import gc
import time
from typing import Any

from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bancone_kit.logging import get_logger

log = get_logger(__name__)

GC_PAUSE_SECONDS = Histogram(
    "bancone_gc_pause_seconds",
    "Time the garbage collector held the process, by generation collected.",
    ["generation"],
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
LONG_PAUSE_SECONDS = 0.05
"""A pause at least this long is logged (with what it collected)."""

YOUNG_THRESHOLD = 7000
"""Net new container objects between young collections (Python's default: 700). A service
request allocates thousands that die within it; at the default the collector ran every few
hundred of them and walked the survivors each time."""

_started: list[float] = []


def _on_collection(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started.append(time.perf_counter())
        return
    if not _started:
        return
    took = time.perf_counter() - _started.pop()
    generation = int(info.get("generation", -1))
    GC_PAUSE_SECONDS.labels(generation=str(generation)).observe(took)
    if took >= LONG_PAUSE_SECONDS:
        log.info(
            "gc.long_pause",
            generation=generation,
            ms=round(took * 1000, 1),
            collected=info.get("collected"),
        )


def watch_gc_pauses() -> None:
    """Measure every collection from now on (idempotent)."""
    if _on_collection not in gc.callbacks:
        gc.callbacks.append(_on_collection)


def freeze_startup_heap() -> int:
    """Collect once, then exempt every object alive now from later collections; returns how
    many were frozen. Objects that become garbage later are still freed by reference counting;
    only a cycle among frozen objects would never be collected."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    frozen = gc.get_freeze_count()
    log.info("gc.startup_heap_frozen", objects=frozen)
    return frozen


def frozen_after_startup(app: ASGIApp) -> ASGIApp:
    """`app`, which freezes the heap the moment its lifespan startup has completed (every
    connection, client and cache of the startup made by then)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def send_frozen(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                freeze_startup_heap()
            await send(message)

        await app(scope, receive, send_frozen)

    return wrapped
