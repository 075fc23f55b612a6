"""Collections are timed per generation, a long one is logged, and a served app's startup
heap is frozen (and the young generation's threshold raised) once its lifespan has started,
not before."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from prometheus_client import REGISTRY

from bancone_kit import gc_pauses

pytestmark = pytest.mark.unit


class Recorder:
    def __init__(self) -> None:
        self.lines: list[tuple[str, dict[str, Any]]] = []

    def info(self, event: str, **fields: Any) -> None:
        self.lines.append((event, fields))


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """A heap with nothing frozen and the default thresholds, and so again afterwards."""
    thresholds = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def full_collections() -> float:
    value = REGISTRY.get_sample_value("bancone_gc_pause_seconds_count", {"generation": "2"})
    return value or 0.0


def test_every_collection_is_timed_and_a_long_one_is_logged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = Recorder()
    monkeypatch.setattr(gc_pauses, "log", recorder)
    monkeypatch.setattr(gc_pauses, "LONG_PAUSE_SECONDS", 0.0)
    gc_pauses.watch_gc_pauses()
    gc_pauses.watch_gc_pauses()  # once only
    before = full_collections()

    gc.collect()

    assert gc.callbacks.count(gc_pauses._on_collection) == 1
    assert full_collections() == before + 1
    events = [fields for event, fields in recorder.lines if event == "gc.long_pause"]
    assert events
    assert events[-1]["generation"] == 2
    assert events[-1]["ms"] >= 0


async def test_the_heap_is_frozen_when_the_lifespan_startup_completes(unfrozen: None) -> None:
    seen_at_startup: list[int] = []

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        seen_at_startup.append(gc.get_freeze_count())
        yield

    app = FastAPI(lifespan=lifespan)
    async with LifespanManager(gc_pauses.frozen_after_startup(app)):
        frozen = gc.get_freeze_count()

    assert seen_at_startup == [0]
    assert frozen > 1000
    assert gc.get_threshold()[0] == gc_pauses.YOUNG_THRESHOLD
