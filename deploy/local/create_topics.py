"""Create every Bancone topic on a broker, idempotently: existing topics are left as they are.

Run with ``uv run python deploy/local/create_topics.py [--bootstrap HOST:PORT]``; the topic list
is ``bancone_contracts.topics.ALL_TOPICS`` (each event topic and its ``.dlq``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from bancone_contracts.topics import ALL_TOPICS
from bancone_kit.messaging.topic_admin import ensure_topics


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--bootstrap",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS"),
        help="broker address (default: $KAFKA_BOOTSTRAP_SERVERS)",
    )
    args = parser.parse_args()
    if not args.bootstrap:
        parser.error("no broker: pass --bootstrap or set KAFKA_BOOTSTRAP_SERVERS")
    created = asyncio.run(ensure_topics(args.bootstrap, ALL_TOPICS))
    print(
        f"[topics] {len(ALL_TOPICS)} topics on {args.bootstrap}: "
        f"{len(created)} created, {len(ALL_TOPICS) - len(created)} already there",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
