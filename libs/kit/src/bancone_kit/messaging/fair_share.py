"""Which queued key runs next: tenants take turns, so one tenant's flood cannot starve another.

DESIGN.md (Tenancy): one tenant's flood never delays another tenant's customers. The keyed
consumer buffers records per key (a key is one conversation, `tenant_id:customer_id`, so it
belongs to one tenant); this scheduler picks the next key to hand a free slot to. Tenants with
work are served round-robin, one batch each per round, and within a tenant its ready keys take
turns too. A key that is running is not ready (its records stay in order behind the running
batch) and becomes ready again when it finishes with records left.

Fairness is counted in batches, not in handler time: a tenant whose turns are slow still gets
one batch per round, like the others (deficit round-robin by cost would need the cost up
front, which an LLM turn does not tell). Pure bookkeeping: no I/O, no asyncio.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
Key = Hashable
Tenant = Hashable


@dataclass
class _KeyQueue(Generic[T]):
    tenant: Tenant
    items: deque[T] = field(default_factory=deque)
    running: int = 0
    """How many of `items` (from the front) the running batch holds; 0 when idle."""


class FairScheduler(Generic[T]):
    """Per-key queues, handed out one batch at a time, tenants in round-robin order."""

    def __init__(self) -> None:
        self._keys: dict[Key, _KeyQueue[T]] = {}
        self._ready: dict[Tenant, deque[Key]] = {}
        self._rotation: deque[Tenant] = deque()

    def push(self, tenant: Tenant, key: Key, item: T) -> None:
        """Queue `item` behind the key's earlier items; the key becomes ready if idle."""
        queue = self._keys.get(key)
        if queue is None:
            queue = self._keys[key] = _KeyQueue(tenant)
        queue.items.append(item)
        if not queue.running and len(queue.items) == 1:
            self._make_ready(queue.tenant, key)

    def next_batch(self, *, fold: bool) -> tuple[Key, list[T]] | None:
        """The next tenant's next ready key and its batch (every queued item with `fold`,
        else the oldest), the key marked running; None when nothing is ready."""
        if not self._rotation:
            return None
        tenant = self._rotation.popleft()
        keys = self._ready[tenant]
        key = keys.popleft()
        if keys:
            self._rotation.append(tenant)
        else:
            del self._ready[tenant]
        queue = self._keys[key]
        batch = list(queue.items) if fold else [queue.items[0]]
        queue.running = len(batch)
        return key, batch

    def finish(self, key: Key) -> None:
        """The key's running batch is done: drop it; the key is ready again if items remain."""
        queue = self._keys[key]
        for _ in range(queue.running):
            queue.items.popleft()
        queue.running = 0
        if queue.items:
            self._make_ready(queue.tenant, key)
        else:
            del self._keys[key]

    def queued(self, key: Key) -> int:
        """Items of `key` queued or in its running batch."""
        queue = self._keys.get(key)
        return len(queue.items) if queue is not None else 0

    def __len__(self) -> int:
        """Items held for every key, running ones included."""
        return sum(len(q.items) for q in self._keys.values())

    def _make_ready(self, tenant: Tenant, key: Key) -> None:
        keys = self._ready.get(tenant)
        if keys is None:
            keys = self._ready[tenant] = deque()
            self._rotation.append(tenant)
        keys.append(key)
