"""What the platform itself recorded about a benchmark's messages: the agent's run log by
outcome, the sandbox's count per customer (a reply sent twice shows here), the notifier's
delivery states, and every message's times written as JSON beside the logs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path

import httpx

from bancone_cli.operator_login import LoginError, log_in_async
from bench.harness import Platform, RunEnv
from bench.traffic import Sent


def write_results(platform: Platform, name: str, results: Mapping[str, Sequence[Sent]]) -> Path:
    """Every message's times as JSON beside the logs, for a closer look afterwards."""
    path = platform.state / f"{name}.json"
    path.write_text(
        json.dumps(
            {
                phase: [
                    {
                        "wa_id": s.wa_id,
                        "wamid": s.wamid,
                        "text": s.text,
                        "sent_at": s.sent_at.isoformat(),
                        "replied_at": s.replied_at.isoformat() if s.replied_at else None,
                        "latency_s": s.latency,
                        "ack_s": s.ack_seconds,
                        "status": s.status,
                        "reply": s.reply,
                    }
                    for s in sent
                ]
                for phase, sent in results.items()
            },
            indent=1,
            ensure_ascii=False,
        )
    )
    return path


async def turns_by_outcome(client: httpx.AsyncClient, env: RunEnv) -> dict[str, int]:
    """The agent's run log for today, by outcome (`answered`, `fallback`, ...)."""
    try:
        token = await log_in_async(client, env.gateway_url, env.owner_email, env.owner_password)
    except LoginError:
        return {}
    response = await client.get(
        f"{env.agent_url}/v1/tenants/{env.tenant_id}/usage",
        params={"date": date.today().isoformat()},
        headers={"Authorization": f"Bearer {token}"},
    )
    if response.status_code != 200:
        return {}
    by_outcome = response.json().get("by_outcome") or {}
    return {name: int(row.get("turns", 0)) for name, row in by_outcome.items()}


def outcome_delta(before: Mapping[str, int], after: Mapping[str, int]) -> str:
    parts = [f"{name} {after[name] - before.get(name, 0)}" for name in after]
    return ", ".join(part for part in parts if not part.endswith(" 0")) or "none"


async def messages_per_customer(
    client: httpx.AsyncClient, env: RunEnv, customers: Iterable[str]
) -> dict[str, int]:
    """How many messages the sandbox holds for each customer: more than one reply to one
    question means the platform sent a message twice. Counted after a quiet moment, so that a
    copy a relay publishes again after its 1 s retry pause is counted too."""
    await asyncio.sleep(LATE_COPY_SECONDS)
    response = await client.get(
        f"{env.sandbox_url}/sandbox/messages", params={"phone_number_id": env.phone_number_id}
    )
    response.raise_for_status()
    counts = dict.fromkeys(customers, 0)
    for message in response.json():
        to = str(message.get("to"))
        if to in counts:
            counts[to] += 1
    return counts


LATE_COPY_SECONDS = 3.0


def sent_once_line(counts: Mapping[str, int]) -> str:
    twice = sum(1 for n in counts.values() if n > 1)
    none = sum(1 for n in counts.values() if n == 0)
    return (
        f"sandbox: {sum(counts.values())} messages to {len(counts)} customers; "
        f"{twice} got more than one, {none} none"
    )


def notifier_states(platform: Platform) -> str:
    """The notifier's own record of the replies (`outbound_messages.state`), read-only from
    its SQLite file after the run: a reply the sandbox got should not be recorded as lost."""
    path = platform.state / "data" / "notifier.sqlite"
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            rows = db.execute(
                "SELECT state, COUNT(*) FROM outbound_messages GROUP BY state ORDER BY 2 DESC"
            ).fetchall()
    except sqlite3.Error as error:
        return f"notifier's outbound_messages: not read ({error})"
    return "notifier's record of the replies (outbound_messages.state): " + ", ".join(
        f"{state} {count}" for state, count in rows
    )
