"""Open-loop load with vegeta (built by `deploy/tools/install.sh vegeta`): every request a
fresh, pre-signed status webhook, sent on vegeta's fixed schedule whatever the answers do.

Vegeta's report gives the achieved request rate beside the asked one, so a run shows the
generator kept its schedule (its `rate`), and latencies include time spent queued on the
server because requests are not held back by slow answers (open loop).
"""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bancone_cli.webhooks import (
    build_status_webhook,
    build_text_webhook,
    new_wamid,
    signed_body,
)
from bench.harness import REPO

TIMEOUT_SECONDS = 10


def vegeta_binary() -> str:
    """Build (first time) or find the pinned vegeta; its path."""
    bash = shutil.which("bash") or "/bin/bash"
    out = subprocess.run(  # noqa: S603 - our own install script
        [bash, str(REPO / "deploy" / "tools" / "install.sh"), "vegeta"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for line in out.splitlines():
        if line.startswith("VEGETA="):
            return line.split("=", 1)[1]
    raise RuntimeError(f"install.sh vegeta printed no path: {out!r}")


def write_targets(path: Path, url: str, phone_number_id: str, secret: str, count: int) -> Path:
    """`count` distinct signed status webhooks as vegeta JSON targets, one per line."""
    payloads = (
        build_status_webhook(phone_number_id, new_wamid(), f"39300{i % 1000:07d}", "delivered")
        for i in range(count)
    )
    return _write(path, url, secret, payloads)


def write_text_targets(
    path: Path, url: str, phone_number_id: str, secret: str, customers: list[str], texts: list[str]
) -> Path:
    """One signed customer text per customer (target i is customer i: vegeta's `seq`)."""
    payloads = (
        build_text_webhook(phone_number_id, wa_id, texts[i % len(texts)], "Cliente Bench")
        for i, wa_id in enumerate(customers)
    )
    return _write(path, url, secret, payloads)


def _write(path: Path, url: str, secret: str, payloads: Iterable[dict[str, Any]]) -> Path:
    with path.open("w") as out:
        for payload in payloads:
            body, headers = signed_body(payload, secret)
            target = {
                "method": "POST",
                "url": url,
                "body": base64.b64encode(body).decode(),
                "header": {name: [value] for name, value in headers.items()},
            }
            out.write(json.dumps(target) + "\n")
    return path


@dataclass(frozen=True)
class Result:
    asked: float
    rate: float
    """Requests per second vegeta actually issued: ≈ asked means the schedule held."""
    requests: int
    ok: int
    status: dict[str, int]
    p50_ms: float
    p99_ms: float
    max_ms: float
    throughput: float

    @property
    def answered(self) -> float:
        return self.ok / self.requests if self.requests else 0.0

    @classmethod
    def parse(cls, asked: float, report: dict[str, Any]) -> Result:
        latencies = report["latencies"]
        codes = {str(k): int(v) for k, v in (report.get("status_codes") or {}).items()}
        return cls(
            asked=asked,
            rate=float(report["rate"]),
            requests=int(report["requests"]),
            ok=codes.get("200", 0),
            status=codes,
            p50_ms=latencies["50th"] / 1e6,
            p99_ms=latencies["99th"] / 1e6,
            max_ms=latencies["max"] / 1e6,
            throughput=float(report["throughput"]),
        )


@dataclass(frozen=True)
class Hit:
    """One request of an attack: its sequence number (= target index), when it left, its
    status (0: no answer) and latency."""

    seq: int
    sent_ns: int
    code: int
    latency_s: float


async def hits(vegeta: str, results: Path) -> list[Hit]:
    """Every request of an attack, from `vegeta encode --to csv`."""
    encode = await asyncio.create_subprocess_exec(
        vegeta, "encode", "--to", "csv", str(results), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await encode.communicate()
    rows = csv.reader(io.StringIO(out.decode()))
    return [Hit(int(r[8]), int(r[0]), int(r[1]), int(r[2]) / 1e9) for r in rows if r]


def results_path(work: Path, targets: Path, rate: int) -> Path:
    return work / f"attack-{targets.stem}-{rate}.bin"


async def attack(vegeta: str, targets: Path, rate: int, seconds: float, work: Path) -> Result:
    """`vegeta attack` at `rate`/s for `seconds`, then its JSON report."""
    results = results_path(work, targets, rate)
    attack_proc = await asyncio.create_subprocess_exec(
        vegeta,
        "attack",
        "-format=json",
        f"-targets={targets}",
        f"-rate={rate}/s",
        f"-duration={seconds}s",
        f"-timeout={TIMEOUT_SECONDS}s",
        "-keepalive=true",
        f"-output={results}",
    )
    try:
        await attack_proc.wait()
    finally:
        if attack_proc.returncode is None:
            attack_proc.terminate()
            await attack_proc.wait()
    report = await asyncio.create_subprocess_exec(
        vegeta, "report", "-type=json", str(results), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await report.communicate()
    return Result.parse(rate, json.loads(out))
