"""Where a quiet tenant's record lands while another tenant floods: the kit's keyed consumer.

    KAFKA_BOOTSTRAP_SERVERS=… uv run --all-packages python bench/fair_share.py
        [--flood 1000] [--keys 50] [--slots 8] [--turn-ms 20] [--keyed path/to/keyed.py]

Tenant A publishes `--flood` records (over `--keys` conversations) to a fresh one-partition
topic, tenant B one record behind them; then a keyed consumer (`subscribe_keyed`, the one every
service uses) starts with `--slots` in flight and a handler that takes `--turn-ms` per record
(a stand-in for a turn's work). Printed: B's position among the handled records, how long
after the consumer started B was handled, and how long A's flood took to drain.

`--keyed` loads `subscribe_keyed` from another file instead, to compare with an earlier
version, e.g. the one before fair sharing:

    git show 1799835:libs/kit/src/bancone_kit/messaging/keyed.py > /tmp/keyed_before.py
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bancone_kit.messaging.broker import make_broker
from bancone_kit.messaging.keyed import subscribe_keyed
from bancone_kit.messaging.topic_admin import ensure_topics


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int = 1
    compacted: bool = False


@dataclass(frozen=True)
class Result:
    label: str
    position: int
    b_after_s: float
    drain_s: float


def load_subscribe(path: str | None) -> Callable[..., Any]:
    if path is None:
        return subscribe_keyed
    spec = importlib.util.spec_from_file_location("keyed_under_test", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    subscribe: Callable[..., Any] = module.subscribe_keyed
    return subscribe


def record(key: str, n: int) -> bytes:
    return json.dumps({"key": key, "n": n}).encode()


async def measure(bootstrap: str, args: argparse.Namespace, label: str) -> Result:
    topic = f"bench-fair-{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [Topic(topic)])
    producer = make_broker(bootstrap, client_id="bench-fair-producer")
    await producer.start()
    try:
        for n in range(args.flood):
            key = f"shop-a:c{n % args.keys}"
            await producer.publish(record(key, n), topic=topic, key=key.encode())
        await producer.publish(record("shop-b:c1", 0), topic=topic, key=b"shop-b:c1")
    finally:
        await producer.stop()

    handled: list[str] = []
    b_at: list[float] = []
    drained = asyncio.Event()

    async def handle(events: Sequence[dict[str, Any]]) -> None:
        await asyncio.sleep(args.turn_ms / 1000)  # the turn's work
        for event in events:
            handled.append(event["key"])
            if event["key"].startswith("shop-b"):
                b_at.append(time.perf_counter())
        if len(handled) == args.flood + 1:
            drained.set()

    consumer = make_broker(bootstrap, client_id="bench-fair-consumer")
    load_subscribe(args.keyed)(
        consumer,
        topic,
        group=f"{topic}-g",
        parse=json.loads,
        handle=handle,
        max_in_flight=args.slots,
    )
    started = time.perf_counter()
    await consumer.start()
    try:
        await asyncio.wait_for(drained.wait(), timeout=600)
    finally:
        await consumer.stop()
    finished = time.perf_counter()
    return Result(label, handled.index("shop-b:c1"), b_at[0] - started, finished - started)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=1000)
    parser.add_argument("--keys", type=int, default=50)
    parser.add_argument("--slots", type=int, default=8)
    parser.add_argument("--turn-ms", type=float, default=20.0)
    parser.add_argument("--keyed", help="load subscribe_keyed from this file instead")
    parser.add_argument("--label", default=None)
    args = parser.parse_args()
    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    label = args.label or (args.keyed or "bancone_kit.messaging.keyed")
    result = await measure(bootstrap, args, label)
    print(
        f"flood={args.flood} keys={args.keys} slots={args.slots} turn={args.turn_ms:g}ms\n"
        f"{'consumer':<40} {'B position':>10} {'B handled after':>16} {'A drained after':>16}\n"
        f"{result.label:<40} {result.position:>10} {result.b_after_s:>15.2f}s "
        f"{result.drain_s:>15.2f}s"
    )


if __name__ == "__main__":
    asyncio.run(main())
