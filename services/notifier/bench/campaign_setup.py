"""The campaign bench's set-up against a running platform: a private PostgreSQL for the
notifier, the demo channel and its token, the number's tier, the sandbox without status
webhooks."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bancone_kit.clock import utcnow
from bancone_kit.crypto import Sealed
from bancone_notifier.adapters.tables import ChannelRecord, PacingNumberRecord
from bancone_notifier.deps import NotifierDeps
from bench.harness import RunEnv, say


async def wait_for_channel(deps: NotifierDeps, phone_number_id: str) -> ChannelRecord:
    for _ in range(600):
        async with deps.sessions() as session:
            channel = await session.get(ChannelRecord, phone_number_id)
        if channel is not None and channel.access_token_ciphertext:
            return channel
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the notifier never learned channel {phone_number_id}")


REPO = Path(__file__).resolve().parents[3]


@contextlib.asynccontextmanager
async def private_postgres(state: Path) -> AsyncIterator[str]:
    """A throwaway PostgreSQL (`deploy/local/postgres.sh`) for the notifier of this run: two
    processes pacing through one SQLite file wait on its file lock (busy timeouts), which
    measures SQLite, not the pacer; production runs on PostgreSQL."""
    env = {k: v for k, v in os.environ.items() if k != "BANCONE_TEST_POSTGRES_URL"}
    env["BANCONE_POSTGRES_DIR"] = str(state)
    script = str(REPO / "deploy" / "local" / "postgres.sh")
    started = await asyncio.create_subprocess_exec(
        "bash", script, "start", env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await started.communicate()
    if started.returncode != 0:
        raise RuntimeError(f"postgres.sh start exited with {started.returncode}")
    url = out.decode().strip().splitlines()[-1]
    say(f"private PostgreSQL for the notifier: {url}")
    try:
        yield url
    finally:
        stopped = await asyncio.create_subprocess_exec("bash", script, "stop", env=env)
        await asyncio.shield(stopped.wait())


async def without_status_webhooks(client: httpx.AsyncClient, env: RunEnv, token: str) -> None:
    """Re-register the demo channel in the sandbox without sent/delivered/read webhooks: 80
    sends/s make 240 status webhooks/s through gateway, Kafka and notifier, and on the shared
    2-core machine that CPU, not the pacer, set the rate (`--with-statuses` keeps them)."""
    listed = (await client.get(f"{env.sandbox_url}/sandbox/channels")).json()
    ours = next(c for c in listed if c["phone_number_id"] == env.phone_number_id)
    response = await client.post(
        f"{env.sandbox_url}/sandbox/channels",
        json={
            **ours,
            "access_token": token,
            "app_secret": env.app_secret,
            "status_webhooks": False,
        },
    )
    response.raise_for_status()


def sealed_token(deps: NotifierDeps, channel: ChannelRecord) -> str:
    """The channel's access token, opened with the notifier's keyring."""
    assert channel.key_id is not None
    assert channel.access_token_ciphertext is not None
    sealed = Sealed(channel.key_id, channel.access_token_ciphertext)
    return deps.channel_box.open_parts(sealed, channel.phone_number_id)


async def set_tier(sessions: Any, phone_number_id: str, tier: float) -> None:
    """The number's own tier (the per-number override the pacer reads)."""
    table = PacingNumberRecord.__table__  # type: ignore[attr-defined]
    async with sessions() as session, session.begin():
        connection = await session.connection()
        await connection.execute(sa.delete(table).where(table.c.phone_number_id == phone_number_id))
        await connection.execute(
            sa.insert(table).values(
                phone_number_id=phone_number_id,
                next_slot_at=0.0,
                blocked_until=0.0,
                tier_per_second=tier,
                updated_at=utcnow(),
            )
        )


def _running_notifier_env(database_url: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of run.py's notifier for this bench (found by its
    private database URL, unique to the run), read from /proc."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().decode().split("\0")
            if not any(arg.endswith("bancone-notifier") for arg in argv):
                continue
            pairs = (proc / "environ").read_bytes().decode().split("\0")
        except OSError:
            continue  # gone, or not ours to read
        env = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
        if env.get("BANCONE_NOTIFIER_DATABASE_URL") == database_url:
            return [arg for arg in argv if arg], env
    raise RuntimeError("run.py's notifier process was not found")


@contextlib.asynccontextmanager
async def extra_notifier_replicas(logs: Path, database_url: str, count: int) -> AsyncIterator[int]:
    """`count` more notifier processes beside run.py's, with its settings (another HTTP port
    each): the replicas share the campaign runner's claims, the outbound topic's consumer
    group and the pacer's rows in the one database, as replicas in Kubernetes do."""
    if count <= 0:
        yield 0
        return
    argv, env = _running_notifier_env(database_url)
    base_port = int(env["BANCONE_NOTIFIER_HTTP_PORT"])
    children: list[asyncio.subprocess.Process] = []
    try:
        for index in range(1, count + 1):
            port = base_port + 50 * index
            with (logs / f"notifier-{index + 1}.log").open("ab") as log:
                children.append(
                    await asyncio.create_subprocess_exec(
                        *argv,
                        env={**env, "BANCONE_NOTIFIER_HTTP_PORT": str(port)},
                        stdout=log,
                        stderr=asyncio.subprocess.STDOUT,
                    )
                )
            async with httpx.AsyncClient(timeout=2.0) as client:
                for _ in range(300):
                    with contextlib.suppress(httpx.HTTPError):
                        if (await client.get(f"http://127.0.0.1:{port}/readyz")).is_success:
                            break
                    await asyncio.sleep(0.2)
                else:
                    raise RuntimeError(f"notifier replica {index + 1} never became ready")
            say(f"notifier replica {index + 1} ready on port {port}")
        yield count
    finally:
        for child in children:
            if child.returncode is None:
                child.terminate()
        for child in children:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(child.wait(), 20)


def notifier_ports(database_url: str, replicas: int) -> list[int]:
    """The HTTP ports of run.py's notifier and of the `replicas - 1` started beside it."""
    _, env = _running_notifier_env(database_url)
    base = int(env["BANCONE_NOTIFIER_HTTP_PORT"])
    return [base + 50 * index for index in range(replicas)]


async def pacing_counters(client: httpx.AsyncClient, ports: list[int]) -> str:
    """Each replica's pacing counters from its /metrics: window holds, dropped slots, the
    replicas it counts the tier split between, and the Graph calls' mean round trip (the
    dispatch window's cost: a replica sends at most its share per 1 s + that)."""
    wanted = {
        'bancone_notifier_pacing_total{kind="window_hold"}': "window holds",
        'bancone_notifier_pacing_total{kind="slot_dropped"}': "dropped slots",
        "bancone_notifier_pacing_replicas": "replicas seen",
        "bancone_notifier_graph_request_seconds_sum": "graph seconds",
        "bancone_notifier_graph_request_seconds_count": "graph calls",
    }
    lines = []
    for port in ports:
        try:
            text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
        except httpx.HTTPError as error:
            lines.append(f"notifier :{port}: /metrics unreadable ({error})")
            continue
        values = {
            label: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            for metric, label in wanted.items()
            if line.startswith(metric + " ")
        }
        calls = values.pop("graph calls", 0.0)
        round_trip = values.pop("graph seconds", 0.0) / calls * 1000 if calls else 0.0
        shown = ", ".join(f"{label} {value:.0f}" for label, value in values.items())
        lines.append(f"notifier :{port}: {shown}, Graph round trip mean {round_trip:.1f} ms")
    return "\n".join(lines)
