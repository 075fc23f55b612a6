"""A consumer process the crash tests SIGKILL at a chosen point of handling an event.

`--crash after-commit`: dies after the inbox transaction committed, before the offset commit.
`--crash before-commit`: dies inside the transaction, before anything is durable.
`--crash none`: handles normally; prints `probe: handled <id>` or `probe: duplicate <id>` per event
(FastStream logs to stdout too, so the test reads only `probe:` lines).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from bancone_kit.messaging.broker import make_broker
from bancone_kit.messaging.inbox import claim
from bancone_kit.messaging.keyed import subscribe_keyed
from bancone_kit.messaging.subscriptions import one_at_a_time
from bancone_kit.testing.probe import ProbeEffect, ProbeEvent


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


async def main(bootstrap: str, topic: str, group: str, db_url: str, crash: str) -> None:
    engine = create_async_engine(db_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    broker = make_broker(bootstrap, client_id="crashing-consumer")

    async def handle(event: ProbeEvent) -> None:
        async with claim(sessions, group, event.id) as session:
            if session is None:
                print(f"probe: duplicate {event.id}", flush=True)
                return
            session.add(ProbeEffect(event_id=event.id, n=event.data.n))
            if crash == "before-commit":
                await session.flush()
                _die()
        if crash == "after-commit":
            _die()
        print(f"probe: handled {event.id}", flush=True)

    # The keyed consumer is what every service runs (agent, ingest, notifier).
    subscribe_keyed(
        broker,
        topic,
        group=group,
        parse=ProbeEvent.model_validate_json,
        handle=one_at_a_time(handle),  # type: ignore[arg-type]
    )
    await broker.start()
    print("probe: ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    for name in ("bootstrap", "topic", "group", "db"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument(
        "--crash", choices=["none", "after-commit", "before-commit"], default="none"
    )
    args = parser.parse_args()
    asyncio.run(main(args.bootstrap, args.topic, args.group, args.db, args.crash))
