"""Open-loop load with vegeta (built by `deploy/tools/install.sh vegeta`): every request a
fresh, pre-signed status webhook, sent on vegeta's fixed schedule whatever the answers do.

Vegeta's report gives the achieved request rate beside the asked one, so a run shows the
generator kept its schedule (its `rate`), and latencies include time spent queued on the
server because requests are not held back by slow answers (open loop).
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bancone_cli.webhooks import build_status_webhook, new_wamid, signed_body
from bench.harness import REPO

TIMEOUT_SECONDS = 10


def vegeta_binary() -> str:
    """Build (first time) or find the pinned vegeta; its path."""
    out = subprocess.run(
        ["bash", str(REPO / "deploy" / "tools" / "install.sh"), "vegeta"],
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
    with path.open("w") as out:
        for index in range(count):
            payload = build_status_webhook(
                phone_number_id, new_wamid(), f"39300{index % 1000:07d}", "delivered"
            )
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


async def attack(vegeta: str, targets: Path, rate: int, seconds: float, work: Path) -> Result:
    """`vegeta attack` at `rate`/s for `seconds`, then its JSON report."""
    results = work / f"attack-{targets.stem}-{rate}.bin"
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
