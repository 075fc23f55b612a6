"""What the services logged while a benchmark measured: warnings and errors by event, and
where each reply's time went hop by hop (from the services' own log lines and the outbound
topic's record times)."""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from rich import box
from rich.table import Table

from bancone_contracts.topics import CONVERSATION_PARTITIONS, OUTBOUND
from bench.harness import Platform, RunEnv
from bench.latencies import Summary
from bench.traffic import Sent


def log_findings(platform: Platform, until: datetime) -> Table:
    """Warnings and errors the services logged from ready to `until`, by event: the numbers
    above are only honest next to what went wrong while they were taken."""
    counts: dict[tuple[str, str, str], int] = {}
    examples: dict[tuple[str, str, str], str] = {}
    for log in sorted((platform.state / "logs").glob("*.log")):
        for line in log.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if not isinstance(record, dict) or record.get("level") not in LOUD_LEVELS:
                continue
            stamp = str(record.get("timestamp") or "")
            try:
                when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            except ValueError:
                continue
            if not platform.ready_at <= when <= until:
                continue
            key = (log.stem, str(record["level"]), str(record.get("event"))[:60])
            counts[key] = counts.get(key, 0) + 1
            examples.setdefault(key, _why(record))
    table = Table(title="Warnings and errors the services logged while measuring", box=box.MARKDOWN)
    for name in ("service", "level", "event", "count", "first one says"):
        table.add_column(name, justify="right" if name == "count" else "left")
    for key, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        table.add_row(*key, str(count), examples[key])
    if not counts:
        table.add_row("-", "-", "none", "0", "")
    return table


LOUD_LEVELS = ("warning", "error", "critical")


def _records(path: Path, events: set[str]) -> Iterator[dict[str, Any]]:
    """The JSON log records of `path` whose event is one of `events`."""
    if not path.exists():
        return
    for line in path.read_text(errors="replace").splitlines():
        if not any(f'"{event}"' in line for event in events):
            continue
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and record.get("event") in events:
                yield record


def _at(record: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(record["timestamp"]).replace("Z", "+00:00"))


async def outbound_published(env: RunEnv) -> dict[str, datetime]:
    """When the agent's outbox relay put each conversation's first reply on
    `bancone.outbound.v1`: the records' CreateTime (set by the producer), by customer. Read
    once, after measuring, from the start of every partition."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=env.kafka, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    first: dict[str, datetime] = {}
    try:
        partitions = [TopicPartition(OUTBOUND, p) for p in range(CONVERSATION_PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends: dict[Any, int] = await consumer.end_offsets(partitions)
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    key = (record.key or b"").decode()
                    customer = key.partition(":")[2]
                    when = datetime.fromtimestamp(record.timestamp / 1000, UTC)
                    if customer and (customer not in first or when < first[customer]):
                        first[customer] = when
    finally:
        await consumer.stop()
    return first


def hops(
    platform: Platform, sent: Sequence[Sent], published: Mapping[str, datetime]
) -> list[tuple[str, Summary]]:
    """Where each reply's time went, from the services' own log lines (same machine clock):
    the gateway's `webhook.accepted` (found by trace id), the agent's `inbound.turn_started`
    and `reply.staged` (by the customer's wamid), the reply's record on the outbound topic
    (`published`, by customer) and the sandbox's `received_at`."""
    logs = platform.state / "logs"
    started: dict[str, dict[str, Any]] = {}
    staged: dict[str, datetime] = {}
    for record in _records(logs / "agent.log", {"inbound.turn_started", "reply.staged"}):
        wamid = str(record.get("wamid"))
        if record["event"] == "inbound.turn_started":
            started.setdefault(wamid, record)
        else:
            staged.setdefault(wamid, _at(record))
    accepted = {
        str(record.get("trace_id")): _at(record)
        for record in _records(logs / "gateway.log", {"webhook.accepted"})
    }
    columns: dict[str, list[float | None]] = {name: [] for name in HOPS}
    for s in sent:
        turn = started.get(s.wamid)
        began = _at(turn) if turn else None
        gateway = accepted.get(str(turn.get("trace_id"))) if turn else None
        done = staged.get(s.wamid)
        points = [s.sent_at, gateway, began, done, published.get(s.wa_id), s.replied_at]
        for name, (start, end) in zip(HOPS, itertools.pairwise(points), strict=True):
            columns[name].append((end - start).total_seconds() if start and end else None)
    return [(name, Summary.of(values)) for name, values in columns.items()]


HOPS = (
    "POST → gateway published it (webhook.accepted)",
    "→ agent turn started (Kafka, bancone.inbound.v1)",
    "→ agent reply staged (assistant, tools, commit)",
    "→ outbox relay published it (bancone.outbound.v1)",
    "→ reply in the sandbox (notifier, Graph API call)",
)


def _why(record: dict[str, Any]) -> str:
    error = record.get("exception")
    if isinstance(error, list) and error and isinstance(error[-1], dict):
        text = f"{error[-1].get('exc_type')}: {error[-1].get('exc_value')}"
    else:
        text = str(record.get("error") or record.get("state") or "")
    return text.splitlines()[0][:90] if text else ""
