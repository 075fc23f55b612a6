"""The demo shop for the eval: a real catalog process on a temporary SQLite file.

The agent's eval may use the agent's own code but never the catalog's: it starts
`bancone-catalog migrate` and `serve` as subprocesses, on a private broker (the catalog
publishes its changes, so it will not start without one) and a free port, waits for
`/readyz`, imports the demo catalogue through the catalog's HTTP import route, and stops
everything it started at the end, also on failure or Ctrl-C.

The broker is private on purpose: the import publishes product events for tenant `demo`, which
a `make run` on a shared broker would index. Apache Kafka when Java and Maven are there
(`deploy/local/kafka.sh`), else the in-memory tansu (`deploy/local/tansu.sh`), as `make run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from eval_tokens import EvalIssuer

from bancone_contracts.topics import ALL_TOPICS, CATALOG
from bancone_kit.messaging.topic_admin import ensure_topics

LOCAL = Path(__file__).resolve().parents[3] / "deploy" / "local"
READY_WITHIN_S = 90.0


class CatalogProcessError(RuntimeError):
    """The catalog (or its broker) did not start; the message ends with its log."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


async def _run(argv: Sequence[str], env: Mapping[str, str], log: Path) -> str:
    """Run a command to its end, stderr to `log`; its stdout, or an error with the log's tail."""
    with log.open("ab") as sink:
        process = await asyncio.create_subprocess_exec(
            *argv, env=dict(env), stdin=asyncio.subprocess.DEVNULL, stdout=-1, stderr=sink
        )
        try:
            out, _ = await process.communicate()
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            raise
    if process.returncode != 0:
        raise CatalogProcessError(f"{' '.join(argv)} failed ({process.returncode}):\n{_tail(log)}")
    return out.decode().strip()


@asynccontextmanager
async def private_broker(workdir: Path) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """A broker of our own: its bootstrap address and the catalog settings it needs."""
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    env |= {
        "BANCONE_KAFKA_DIR": str(workdir / "kafka"),
        "BANCONE_KAFKA_FRESH": "1",
        "BANCONE_TANSU_DIR": str(workdir / "tansu"),
    }
    apache = bool(shutil.which("java") and shutil.which("mvn"))
    script = LOCAL / ("kafka.sh" if apache else "tansu.sh")
    log = workdir / "broker.log"
    try:
        bootstrap = await _run(["bash", str(script), "start"], env, log)
        settings = {} if apache else {"BANCONE_CATALOG_KAFKA_IDEMPOTENCE": "false"}
        yield bootstrap, settings
    finally:
        with contextlib.suppress(CatalogProcessError):
            await _run(["bash", str(script), "stop"], env, log)


async def _wait_ready(process: asyncio.subprocess.Process, url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN_S
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            if process.returncode is not None:
                raise CatalogProcessError(
                    f"the catalog exited ({process.returncode}):\n{_tail(log)}"
                )
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(f"{url}/readyz")).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise CatalogProcessError(f"no /readyz in {READY_WITHIN_S:.0f}s:\n{_tail(log)}")
            await asyncio.sleep(0.1)


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


def _catalog_command() -> str:
    """The catalog's console script, installed beside this interpreter by the workspace."""
    beside = Path(sys.executable).parent / "bancone-catalog"
    return str(beside) if beside.exists() else shutil.which("bancone-catalog") or "bancone-catalog"


@asynccontextmanager
async def demo_catalog(
    workdir: Path, shops: Mapping[str, Path], issuer: EvalIssuer
) -> AsyncIterator[str]:
    """The catalog's base URL, serving each tenant's shop (`shops`: tenant id -> import file)
    until the block ends; it trusts the tokens `issuer` signs."""
    with issuer.serving_jwks() as jwks_url:
        async with _demo_catalog(workdir, shops, issuer, jwks_url) as url:
            yield url


@asynccontextmanager
async def _demo_catalog(
    workdir: Path, shops: Mapping[str, Path], issuer: EvalIssuer, jwks_url: str
) -> AsyncIterator[str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANCONE_CATALOG_")}
    env |= {
        "BANCONE_CATALOG_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'catalog.sqlite'}",
        "BANCONE_CATALOG_HTTP_HOST": "127.0.0.1",
        "BANCONE_CATALOG_HTTP_PORT": str(port),
        "BANCONE_CATALOG_JWKS_URL": jwks_url,
        "BANCONE_CATALOG_ENVIRONMENT": "dev",
        "BANCONE_CATALOG_LOG_LEVEL": "WARNING",
    }
    log = workdir / "catalog.log"
    catalog = _catalog_command()
    # Migrating needs no broker, so it runs while the broker starts.
    migrated = asyncio.create_task(_run([catalog, "migrate"], env, log))
    try:
        async with private_broker(workdir) as (bootstrap, broker_settings):
            await ensure_topics(bootstrap, [t for t in ALL_TOPICS if t.name.startswith(CATALOG)])
            await migrated
            env |= {"BANCONE_CATALOG_KAFKA_BOOTSTRAP_SERVERS": bootstrap, **broker_settings}
            with log.open("ab") as sink:
                process = await asyncio.create_subprocess_exec(
                    catalog, "serve", env=env, stdin=-3, stdout=sink, stderr=sink
                )
            try:
                await _wait_ready(process, url, log)
                for tenant_id, data in shops.items():
                    await _import_demo(url, tenant_id, data, issuer.token(tenant_id, "admin"))
                yield url
            finally:
                await _stop(process)
    finally:
        migrated.cancel()
        with contextlib.suppress(asyncio.CancelledError, CatalogProcessError):
            await migrated


async def _import_demo(url: str, tenant_id: str, demo_data: Path, token: str) -> None:
    """The demo catalogue through the catalog's bulk import route, as an operator would."""
    async with httpx.AsyncClient(timeout=60) as http:
        response = await http.post(
            f"{url}/v1/tenants/{tenant_id}/import",
            content=await asyncio.to_thread(demo_data.read_bytes),
            headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
        )
        response.raise_for_status()
