"""The platform for the fault matrix: a private Apache Kafka and PostgreSQL (started here,
restarted by the faults, deleted at the end), the WhatsApp sandbox, the scripted LLM, and the
five services with two agent replicas — every process under `bancone_devstack`'s supervisor
with a restart policy, so a killed one comes back as a Kubernetes pod would.

The environment is `make run`'s (`bancone_devstack.launcher`: dev.env, generated secrets,
ports with an offset) with the databases moved to PostgreSQL; the demo shop is seeded and
indexed the same way.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from rich.console import Console

from bancone_cli.runenv import parse_env_text
from bancone_devstack import (
    Child,
    RestartPolicy,
    Supervisor,
    tail_text,
    wait_ready,
)
from bancone_devstack.launcher.environment import base_url, build_env
from bancone_devstack.launcher.indexing import wait_indexed
from bancone_devstack.launcher.layout import Layout
from bancone_devstack.launcher.report import Reporter
from bancone_devstack.launcher.secrets_file import load_secrets
from bancone_devstack.launcher.seed import DemoSeed
from bancone_devstack.launcher.services import (
    AGENT,
    SANDBOX,
    SERVICES,
    Service,
    console_script,
)
from bancone_devstack.ports import offset_port

REPO = Path(__file__).resolve().parents[2]
LOCAL = REPO / "deploy" / "local"
POLICY = RestartPolicy(initial_seconds=0.5, max_seconds=10.0, reset_after_seconds=10.0)
AGENT_2 = "agent-2"
AGENT_2_PORT = 8085
LLM = "llm"
LLM_PORT = 8099
"""Both beside `make run`'s ports and moved by the same offset (a free port picked at random
can be taken by someone's outgoing connection before the child binds it)."""
RELAY_CRASH_VARIABLE = "BANCONE_DEV_FAULT_RELAY_CRASH_FILE"
SCRIPT: dict[str, Any] = {
    "rules": [
        {"role": "user", "match": ".", "reply": {"content": "Certo! Ecco cosa ti consiglio."}}
    ],
    "default": {"content": "Come posso aiutarti?"},
    "models": ["scripted"],
}


class Stack:
    """Starts everything, gives the faults their handles, stops and deletes everything."""

    def __init__(self, state: Path, port_offset: int, console: Console) -> None:
        self.layout = Layout(state)
        self.port_offset = port_offset
        self.console = console
        self.reporter = Reporter(console)
        self.supervisor = Supervisor()
        self.env: dict[str, str] = {}
        self.urls: dict[str, str] = {}
        self.postgres_url = ""
        self.relay_crash_file = state / "relay-crash-armed"

    # -- helpers ---------------------------------------------------------------------------

    @property
    def kafka_dir(self) -> Path:
        return self.layout.state / "kafka"

    @property
    def postgres_dir(self) -> Path:
        return self.layout.state / "postgres"

    def script_env(self) -> dict[str, str]:
        """The infra scripts' environment: never the shared broker or database."""
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("KAFKA_BOOTSTRAP_SERVERS", "BANCONE_TEST_POSTGRES_URL")
        }
        env["BANCONE_KAFKA_DIR"] = str(self.kafka_dir)
        env["BANCONE_POSTGRES_DIR"] = str(self.postgres_dir)
        return env

    async def script(self, name: str, action: str, **extra: str) -> str:
        process = await asyncio.create_subprocess_exec(
            "bash",
            str(LOCAL / f"{name}.sh"),
            action,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**self.script_env(), **extra},
        )
        out, err = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"{name}.sh {action} failed:\n{err.decode()[-2000:]}")
        return out.decode().strip()

    async def start_infra(self, name: str, **extra: str) -> str:
        """`<name>.sh start`, tried three times: both scripts pick a free port that another
        process on this busy machine can take before the server binds it."""
        for attempt in range(3):
            try:
                return await self.script(name, "start", **extra)
            except RuntimeError as error:
                if attempt == 2:
                    raise
                self.say(f"[yellow]{name} did not start ({str(error)[-200:]}); again[/]")
                await self.script(name, "stop")
        raise AssertionError("unreachable")

    def say(self, text: str) -> None:
        self.reporter.say(text)

    # -- start -----------------------------------------------------------------------------

    async def start(self, seconds: float) -> None:
        state = self.layout.state
        for name in ("data", "logs", "kafka", "postgres"):
            shutil.rmtree(state / name, ignore_errors=True)
        self.layout.logs.mkdir(parents=True, exist_ok=True)
        self.layout.data.mkdir(parents=True, exist_ok=True)
        (state / "secrets.env").unlink(missing_ok=True)
        self.say(f"fault run in {state}: private Kafka and PostgreSQL")
        bootstrap, self.postgres_url = await asyncio.gather(
            self.start_infra("kafka", BANCONE_KAFKA_FRESH="1"),
            self.start_infra("postgres"),
        )
        self.say(f"Kafka {bootstrap}, PostgreSQL {self.postgres_url}")
        await self.create_databases()
        secret_values, _ = load_secrets(self.layout.secrets_file)
        dev = parse_env_text((LOCAL / "dev.env").read_text(encoding="utf-8"))
        environ = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("BANCONE_") and k != "KAFKA_BOOTSTRAP_SERVERS"
        }
        environ["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
        for svc in SERVICES:
            environ[f"{svc.prefix}DATABASE_URL"] = self.database_url(svc.name)
        llm_port = offset_port(LLM_PORT, self.port_offset)
        self.urls[LLM] = f"http://127.0.0.1:{llm_port}"
        environ["BANCONE_LLM_BASE_URL"] = self.urls[LLM] + "/v1"
        environ["BANCONE_LLM_MODEL"] = "scripted"
        environ["BANCONE_LLM_API_KEY"] = "scripted"
        environ["BANCONE_SANDBOX_STATUS_INTERVAL_SECONDS"] = "0.2"
        environ[RELAY_CRASH_VARIABLE] = str(self.relay_crash_file)
        self.env = build_env(self.layout, self.port_offset, dev, secret_values, environ)
        for svc in (*SERVICES, SANDBOX):
            self.urls[svc.name] = base_url(self.env, svc)
        await self.run_to_end(
            "topics", [sys.executable, str(LOCAL / "create_topics.py"), "--bootstrap", bootstrap]
        )
        await asyncio.gather(*(self.migrate(svc) for svc in SERVICES))
        await self.start_processes(seconds)
        self.say("seeding the demo shop through the public APIs")
        catalog = REPO / self.env["BANCONE_DEMO_CATALOG_FILE"]
        seed = DemoSeed(self.env, self.layout, self.reporter, catalog, str(catalog))
        owner_token = await seed.run()
        await wait_indexed(self.env, self.layout, self.reporter, catalog, seconds, owner_token)
        self.say("ready")

    def database_url(self, name: str) -> str:
        base = self.postgres_url.removeprefix("postgresql://")
        return f"postgresql+asyncpg://{base.rsplit('/', 1)[0]}/faults_{name}"

    def plain_database_url(self, name: str) -> str:
        return self.database_url(name).replace("+asyncpg", "")

    async def create_databases(self) -> None:
        conn = await asyncpg.connect(self.postgres_url)
        try:
            for svc in SERVICES:
                await conn.execute(f'CREATE DATABASE "faults_{svc.name}"')
        finally:
            await conn.close()

    async def run_to_end(self, name: str, argv: Sequence[str], env: Mapping[str, str] = {}) -> None:
        child = Child(name, tuple(argv), {**self.env, **env}, self.layout.log(name), cwd=REPO)
        code = await self.supervisor.run_to_end(child)
        if code != 0:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{tail_text(child.log, 30)}")

    async def migrate(self, svc: Service) -> None:
        await self.run_to_end(f"{svc.name}-migrate", [console_script(svc.command), "migrate"])
        if svc is AGENT:
            config = LOCAL / "demo" / "agent-config.json"
            tenant = self.env["BANCONE_DEMO_TENANT_ID"]
            argv = [
                console_script(svc.command),
                "config",
                "import",
                "--tenant",
                tenant,
                str(config),
            ]
            await self.run_to_end(f"{svc.name}-config", argv)

    def child(self, name: str, argv: Sequence[str], env: Mapping[str, str] = {}) -> Child:
        return Child(name, tuple(argv), {**self.env, **env}, self.layout.log(name), cwd=REPO)

    async def start_processes(self, seconds: float) -> None:
        script = self.layout.state / "scripted-llm.json"
        script.write_text(json.dumps(SCRIPT))
        llm_port = self.urls[LLM].rsplit(":", 1)[1]
        llm_argv = [console_script("bancone-scripted-llm"), "--port", llm_port, "--script"]
        children = [
            self.child(SANDBOX.name, [console_script(SANDBOX.command)]),
            self.child(LLM, [*llm_argv, str(script)]),
        ]
        for svc in SERVICES:
            children.append(self.child(svc.name, [console_script(svc.command), "serve"]))
        agent_2_port = offset_port(AGENT_2_PORT, self.port_offset)
        self.urls[AGENT_2] = f"http://127.0.0.1:{agent_2_port}"
        children.append(
            self.child(
                AGENT_2,
                [console_script(AGENT.command), "serve"],
                {AGENT.port_var: str(agent_2_port)},
            )
        )
        for child in children:
            await self.supervisor.start(child, restart=POLICY)
        await asyncio.gather(*(self.wait_ready(child.name, seconds) for child in children))
        self.say("all processes ready: " + ", ".join(child.name for child in children))

    def probe(self, name: str) -> str:
        path = "/healthz" if name in (SANDBOX.name, LLM) else "/readyz"
        return self.urls[name] + path

    async def wait_ready(self, name: str, seconds: float = 120.0) -> float:
        return await wait_ready(self.supervisor[name], self.probe(name), deadline_seconds=seconds)

    async def answers(self, client: httpx.AsyncClient, name: str) -> bool:
        try:
            return (await client.get(self.probe(name), timeout=2)).status_code == 200
        except httpx.HTTPError:
            return False

    # -- fault handles ---------------------------------------------------------------------

    def terminate(self, name: str) -> None:
        """SIGTERM (a rolling restart's way): it shuts down cleanly, the policy restarts it."""
        self.supervisor[name].signal(signal.SIGTERM)

    def kill(self, name: str) -> None:
        """SIGKILL, unannounced: the restart policy brings it back."""
        self.supervisor[name].kill()

    async def restart_kafka(self) -> None:
        """Stop and start on the same data and port (the services keep their bootstrap)."""
        before = (self.kafka_dir / "bootstrap").read_text().strip()
        await self.script("kafka", "stop")
        after = await self.script("kafka", "start")
        if after != before:
            raise RuntimeError(f"the broker came back on {after}, not {before}: data lost")

    def kafka_pid(self) -> int:
        return int((self.kafka_dir / "pid").read_text().strip())

    def pause_kafka(self) -> None:
        os.kill(self.kafka_pid(), signal.SIGSTOP)

    def resume_kafka(self) -> None:
        os.kill(self.kafka_pid(), signal.SIGCONT)

    async def restart_postgres(self) -> None:
        """`pg_ctl restart -m fast` on the same data (postgres.sh stop would delete it)."""
        bin_dir = (self.postgres_dir / "bin").read_text().strip()
        data = (self.postgres_dir / "datadir").read_text().strip()
        argv = [f"{bin_dir}/pg_ctl", "-D", data, "-m", "fast", "-w", "-t", "60", "restart"]
        argv += ["-l", str(Path(data).parent / "server.log")]
        if os.getuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            cwd="/",
        )
        _, err = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"pg_ctl restart failed: {err.decode()[-1000:]}")

    async def notifier_rows(self, state: str) -> list[tuple[str, str | None]]:
        """(customer_id, wamid) of the notifier's outbound messages in `state`."""
        conn = await asyncpg.connect(self.plain_database_url("notifier"))
        try:
            rows = await conn.fetch(
                "SELECT customer_id, wamid FROM outbound_messages WHERE state = $1", state
            )
        finally:
            await conn.close()
        return [(str(r["customer_id"]), r["wamid"]) for r in rows]

    async def notifier_states(self, wamids: Sequence[str]) -> dict[str, str]:
        conn = await asyncpg.connect(self.plain_database_url("notifier"))
        try:
            rows = await conn.fetch(
                "SELECT wamid, state FROM outbound_messages WHERE wamid = ANY($1::text[])",
                list(wamids),
            )
        finally:
            await conn.close()
        return {str(r["wamid"]): str(r["state"]) for r in rows}

    async def agent_record(self, customers: Sequence[str]) -> dict[str, int]:
        """What operators see of these customers' replies in the agent (conversation view):
        `<delivery_status>/<conversation state>` -> count of outbound messages."""
        conn = await asyncpg.connect(self.plain_database_url("agent"))
        try:
            rows = await conn.fetch(
                "SELECT coalesce(m.delivery_status, 'none') AS d, c.state AS s, count(*) AS n "
                "FROM messages m JOIN conversations c "
                "ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id "
                "WHERE m.direction = 'out' AND c.customer_id = ANY($1::text[]) GROUP BY 1, 2",
                list(customers),
            )
        finally:
            await conn.close()
        return {f"{r['d']}/{r['s']}": int(r["n"]) for r in rows}

    # -- stop ------------------------------------------------------------------------------

    async def stop(self) -> None:
        self.supervisor.stopping = True
        await self.supervisor.stop_all(grace=15)
        for name in ("kafka", "postgres"):
            try:
                await self.script(name, "stop")
            except RuntimeError as error:
                self.say(f"[red]{error}[/]")
        self.say("stopped: processes, Kafka and PostgreSQL")
