"""Create Kafka topics idempotently, for `make run`, deploy scripts and tests alike.

Kafka runs with ``auto.create.topics.enable=false``, so every topic a service or a test touches
is created here first; creation waits until each partition has a leader, so the first produce
or subscribe after it never races the controller.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Protocol

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

TOPIC_ALREADY_EXISTS = 36
"""Kafka error code for a CreateTopics request naming an existing topic."""


class TopicLike(Protocol):
    """What topic creation needs: ``bancone_contracts.topics.TopicSpec`` satisfies it."""

    @property
    def name(self) -> str: ...
    @property
    def partitions(self) -> int: ...
    @property
    def compacted(self) -> bool: ...


class ProvisioningError(RuntimeError):
    """A topic or database could not be created."""


async def ensure_topics(
    bootstrap: str, topics: Iterable[TopicLike], *, wait_s: float = 30.0
) -> list[str]:
    """Create the topics that do not exist yet and wait for their leaders; return those created."""
    wanted = list(topics)
    if not wanted:
        return []
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(wait_s * 1000))
    await admin.start()
    try:
        response = await admin.create_topics(
            [
                NewTopic(
                    t.name,
                    t.partitions,
                    1,
                    topic_configs={"cleanup.policy": "compact"} if t.compacted else {},
                )
                for t in wanted
            ],
            timeout_ms=int(wait_s * 1000),
        )
        created: list[str] = []
        for name, code, message in (e[:3] for e in response.topic_errors):
            if code == 0:
                created.append(name)
            elif code != TOPIC_ALREADY_EXISTS:
                raise ProvisioningError(f"cannot create topic {name!r}: error {code} {message}")
        await _wait_for_leaders(admin, {t.name: t.partitions for t in wanted}, wait_s)
        return created
    finally:
        await admin.close()


async def _wait_for_leaders(
    admin: AIOKafkaAdminClient, partitions: dict[str, int], wait_s: float
) -> None:
    deadline = time.monotonic() + wait_s
    while True:
        described = await admin.describe_topics(list(partitions))
        ready = {
            t["topic"]
            for t in described
            if t["error_code"] == 0
            and len(t["partitions"]) >= partitions[t["topic"]]
            and all(p["leader"] >= 0 for p in t["partitions"])
        }
        if ready >= set(partitions):
            return
        if time.monotonic() > deadline:
            missing = sorted(set(partitions) - ready)
            raise ProvisioningError(f"topics without leaders after {wait_s}s: {missing}")
        await asyncio.sleep(0.1)
