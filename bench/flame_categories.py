"""Where a service's CPU goes, by library, from a py-spy flame graph (SVG).

Each frame's own samples (its width minus its children's) are charged to the nearest frame,
itself or a caller, whose file belongs to a known group (SQLAlchemy, the Kafka client, HTTP,
...); samples with no such frame on their stack are "other". Frames py-spy shows as separate
roots (SQLAlchemy's work inside its greenlets) are charged the same way, so the ORM's share is
whole. With `--ms`, the CPU milliseconds per message of that service (from the pipeline's
table) are split by the same shares.

    uv run python bench/flame_categories.py docs/benchmarks/s24-2026-12-07/pipeline-15rps-agent.svg --ms 34.4
"""

from __future__ import annotations

import argparse
import html
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

GROUPS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("SQLAlchemy ORM and driver", r"sqlalchemy/|sqlmodel/|greenlet|aiosqlite|sqlite_driver|asyncpg/"),
        ("Kafka client (aiokafka)", r"aiokafka/|kafka/"),
        ("FastStream", r"faststream/"),
        ("HTTP client (httpx)", r"httpx/|httpcore/|h11/|anyio/"),
        ("HTTP server", r"uvicorn/|starlette/|fastapi/|httptools"),
        ("logging", r"structlog/|logging/|bancone_kit/logging"),
        ("metrics and tracing", r"opentelemetry/|prometheus_client/"),
        ("pydantic", r"pydantic/|pydantic_core"),
        ("retries (tenacity)", r"tenacity/|bancone_kit/messaging/retry"),
        ("embedding and Qdrant", r"qdrant_client/|numpy/|bancone_ingest/adapters/embed"),
        ("Bancone's own code", r"bancone_\w+/"),
    )
)  # fmt: skip

_FRAME = re.compile(
    r'<g><title>(?P<name>.*?) \([\d,]+ samples?, [\d.]+%\)</title><rect x="[^"]*" '
    r'y="(?P<y>[\d.]+)" width="[^"]*" height="\d+" fill="[^"]*" '
    r'fg:x="(?P<x>\d+)" fg:w="(?P<w>\d+)"/>'
)


@dataclass(frozen=True)
class Frame:
    name: str
    y: float
    x: int
    width: int


def frames_of(svg: str) -> list[Frame]:
    return [
        Frame(html.unescape(m["name"]), float(m["y"]), int(m["x"]), int(m["w"]))
        for m in _FRAME.finditer(svg)
    ]


def group_of(name: str) -> str | None:
    return next((group for group, pattern in GROUPS if pattern.search(name)), None)


def shares(frames: list[Frame]) -> tuple[int, Counter[str]]:
    """All samples, and the samples charged to each group."""
    root = max(frames, key=lambda f: f.width)
    levels = sorted({f.y for f in frames})
    step = levels[1] - levels[0]
    downward = root.y == levels[0]  # py-spy draws the root on top or at the bottom
    by_level: dict[float, list[Frame]] = defaultdict(list)
    for frame in frames:
        by_level[frame.y].append(frame)

    def parent(frame: Frame) -> Frame | None:
        above = frame.y - step if downward else frame.y + step
        return next(
            (
                p
                for p in by_level.get(above, [])
                if p.x <= frame.x and frame.x + frame.width <= p.x + p.width
            ),
            None,
        )

    parents = {frame: parent(frame) for frame in frames}
    children: Counter[Frame] = Counter()
    for frame, up in parents.items():
        if up is not None:
            children[up] += frame.width
    charged: Counter[str] = Counter()
    for frame in frames:
        own = frame.width - children[frame]
        if own <= 0:
            continue
        if frame is root:  # samples py-spy took with no Python frame to show
            charged["no Python frame"] += own
            continue
        at: Frame | None = frame
        group = None
        while at is not None and at is not root and group is None:
            group = group_of(at.name)
            at = parents[at]
        charged[group or "other (asyncio, stdlib)"] += own
    return root.width, charged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("svg", type=Path, nargs="+")
    parser.add_argument("--ms", type=float, nargs="*", default=[], help="CPU ms per message")
    args = parser.parse_args()
    for index, path in enumerate(args.svg):
        total, charged = shares(frames_of(path.read_text()))
        ms = args.ms[index] if index < len(args.ms) else None
        print(f"{path.name}: {total} samples" + (f", {ms} ms per message" if ms else ""))
        for group, samples in charged.most_common():
            share = samples / total
            cost = f"{ms * share:6.1f} ms" if ms else ""
            print(f"  {100 * share:5.1f} % {cost}  {group}")


if __name__ == "__main__":
    main()
