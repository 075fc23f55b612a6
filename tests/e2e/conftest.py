"""The whole platform for the e2e tier: five services and the WhatsApp sandbox as processes.

Each service gets its own fresh PostgreSQL database and talks to the session's Apache Kafka
(both provisioned by `bancone_kit.testing.fixtures`); the sandbox stands in for Meta's Graph
API. Two tenants are seeded through the public APIs with different catalogues, so tenant
isolation is checked on the same deployment. Tests post signed webhooks and assert what the
sandbox received.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import random
import secrets
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from sqlalchemy.engine import make_url

from bancone_cli.operator_login import log_in_async
from bancone_cli.webhooks import DEFAULT_WABA_ID, build_text_webhook, encode, sign
from bancone_contracts.topics import ALL_TOPICS
from bancone_devstack import (
    Child,
    ExitedBeforeReadyError,
    NotReadyError,
    Supervisor,
    port_in_use,
    tail_text,
    wait_ready,
)
from tests.e2e.browser import browser, chromium, shots  # noqa: F401 (the console tests' fixtures)

REPO = Path(__file__).resolve().parents[2]
DEMO_CATALOG = REPO / "deploy" / "local" / "demo" / "enoteca.json"
SERVICES = ("gateway", "catalog", "ingest", "agent", "notifier")
READY_SECONDS = 180.0
PLATFORM_EMAIL = "platform@bancone.test"
POISON = "#e2e-dead-letter"
"""The agent's dev-only poison marker (`dev_poison_marker`): a message containing it fails
every attempt of its turn and goes to the DLQ; its replay passes (the "fixed" bug)."""
JWKS_PATH = "/.well-known/jwks.json"
LISTEN_PORTS = range(20_000, 32_000)
"""Where the services listen: below Linux's ephemeral range (32768-60999), so no outgoing
connection on the busy shared machine can take a port between its pick and the service's
bind (kernel-picked ports did, during the migrations, and the run failed to start)."""

RIVAL_CATALOG: dict[str, Any] = {
    "products": [
        {
            "sku": "krug-grande-cuvee",
            "name": "Champagne Krug Grande Cuvée",
            "description": "Champagne di lusso, solo per i clienti della Cantina Rivale.",
            "category": "spumante",
            "price": "249.00",
            "stock": 4,
            "attributes": {"colour": "sparkling", "region": "Champagne"},
        },
        {
            "sku": "rosso-segreto",
            "name": "Rosso Segreto della Cantina Rivale",
            "description": "Vino rosso della casa, economico.",
            "category": "vino-rosso",
            "price": "7.00",
            "stock": 50,
            "attributes": {"colour": "red"},
        },
    ],
    "faqs": [],
    "offers": [],
}


def keyring(kid: str) -> str:
    return f"{kid}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


@dataclass
class Tenant:
    tenant_id: str
    name: str
    phone_number_id: str
    app_secret: str
    verify_token: str
    access_token: str
    waba_id: str | None = None
    """The WhatsApp Business Account its channel names (templates and their webhooks)."""


@dataclass
class Platform:
    """The running processes (supervised by `bancone_devstack`, as in `make run`) and the
    tenants seeded on them; `processes[name]` is each one's `Child` (`.proc`, `.env`,
    `.kill()`, `.log_has_line()` for the fault runs)."""

    supervisor: Supervisor
    urls: dict[str, str]
    tenants: dict[str, Tenant]
    platform_password: str
    kafka_bootstrap: str
    owner_tokens: dict[str, str] = field(default_factory=dict)
    """Each tenant's owner's access token (logged in by `seed`)."""
    owner_logins: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Each tenant's owner's email and password (the browser tests log in with them)."""
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=30))
    poison_marker: str = POISON
    """The agent's dev-only poison marker (see `POISON`)."""

    @property
    def processes(self) -> dict[str, Child]:
        return self.supervisor.children

    def url(self, name: str) -> str:
        return self.urls[name]

    async def wait_ready(self, name: str, seconds: float = READY_SECONDS) -> None:
        child = self.processes[name]
        path = "/healthz" if name == "sandbox" else "/readyz"
        try:
            await wait_ready(child, self.url(name) + path, deadline_seconds=seconds)
        except ExitedBeforeReadyError:
            raise RuntimeError(
                f"{name} exited during start-up:\n{tail_text(child.log, 40)}"
            ) from None
        except NotReadyError:
            raise TimeoutError(
                f"{name} not ready after {seconds}s:\n{tail_text(child.log, 40)}"
            ) from None

    async def restart(self, name: str) -> None:
        """Start a killed process again (once the old one is gone) and wait until it is ready."""
        await self.supervisor.restart(name)
        await self.wait_ready(name)

    def admin(self, tenant_id: str = "demo") -> dict[str, str]:
        """The bearer of the tenant's owner (every tenant route needs an operator of it)."""
        return {"Authorization": f"Bearer {self.owner_tokens[tenant_id]}"}

    async def platform_token(self) -> dict[str, str]:
        """The platform operator's bearer (the cross-tenant routes need it)."""
        token = await log_in_async(
            self.http, self.url("gateway"), PLATFORM_EMAIL, self.platform_password
        )
        return {"Authorization": f"Bearer {token}"}

    async def post_webhook(
        self, tenant: Tenant, payload: dict[str, Any], *, secret: str | None = None
    ) -> httpx.Response:
        body = encode(payload)
        signature = sign(body, secret if secret is not None else tenant.app_secret)
        return await self.http.post(
            self.url("gateway") + "/webhooks/whatsapp",
            content=body,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
        )

    async def say(self, tenant: Tenant, wa_id: str, text: str) -> tuple[str, httpx.Response]:
        """A customer's text message, signed like Meta; returns its wamid and the response."""
        wamid = f"wamid.e2e{uuid.uuid4().hex}"
        payload = build_text_webhook(tenant.phone_number_id, wa_id, text, wamid=wamid)
        return wamid, await self.post_webhook(tenant, payload)

    async def sent_to(self, wa_id: str) -> list[dict[str, Any]]:
        response = await self.http.get(
            self.url("sandbox") + "/sandbox/messages", params={"to": wa_id}
        )
        response.raise_for_status()
        messages: list[dict[str, Any]] = response.json()
        return messages

    async def replies(self, wa_id: str, count: int = 1, seconds: float = 60) -> list[str]:
        """Poll the sandbox until `count` messages reached `wa_id`; return their texts."""
        deadline = time.monotonic() + seconds
        while True:
            got = await self.sent_to(wa_id)
            if len(got) >= count or time.monotonic() > deadline:
                return [text_of(m) for m in got]
            await asyncio.sleep(0.2)

    async def settle(self, wa_id: str, seconds: float = 5) -> list[str]:
        """What reached `wa_id` once nothing new arrived for `seconds` (to catch extra replies)."""
        last: list[dict[str, Any]] = []
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < seconds:
            got = await self.sent_to(wa_id)
            if len(got) != len(last):
                last, quiet_since = got, time.monotonic()
            await asyncio.sleep(0.25)
        return [text_of(m) for m in last]


def text_of(message: dict[str, Any]) -> str:
    body = message.get("body", {})
    if body.get("type") == "text":
        return str(body["text"]["body"])
    if body.get("type") == "interactive":
        return str(body["interactive"]["body"]["text"])
    return str(body)


async def create_topics(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        for spec in ALL_TOPICS:
            config = {"cleanup.policy": "compact"} if spec.compacted else {}
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [NewTopic(spec.name, spec.partitions, 1, topic_configs=config)]
                )
    finally:
        await admin.close()


async def create_database(admin_url: str, name: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return (
        make_url(admin_url)
        .set(drivername="postgresql+asyncpg", database=name)
        .render_as_string(hide_password=False)
    )


def listen_ports(names: tuple[str, ...]) -> dict[str, int]:
    """A free port for each name, outside the ephemeral range (see `LISTEN_PORTS`)."""
    ports: dict[str, int] = {}
    while len(ports) < len(names):
        port = random.choice(LISTEN_PORTS)
        if port not in ports.values() and not port_in_use("127.0.0.1", port):
            ports[names[len(ports)]] = port
    return ports


def service_env(base: dict[str, str], name: str, values: dict[str, str]) -> dict[str, str]:
    prefix = f"BANCONE_{name.upper()}_"
    return {**base, **{prefix + k.upper(): v for k, v in values.items()}}


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
async def platform(
    kafka_bootstrap: str, postgres_admin_url: str, e2e_dir: Path
) -> AsyncIterator[Platform]:
    await create_topics(kafka_bootstrap)
    run_id = uuid.uuid4().hex[:8]
    platform_password = secrets.token_urlsafe(24)
    agent_secret = secrets.token_urlsafe(24)
    channel_keyring = keyring("chan1")
    tenants = {
        t.tenant_id: t
        for t in (
            Tenant(
                "demo",
                "Enoteca Bancone",
                f"1{run_id}01",
                *(secrets.token_hex(16) for _ in range(3)),
                waba_id=DEFAULT_WABA_ID,  # the sandbox's account of every number
            ),
            Tenant(
                "rival",
                "Cantina Rivale",
                f"1{run_id}02",
                *(secrets.token_hex(16) for _ in range(3)),
            ),
        )
    }
    base = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "PYTHONUNBUFFERED": "1",
    }
    ports = listen_ports((*SERVICES, "sandbox"))
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    databases = {
        name: await create_database(postgres_admin_url, f"e2e_{run_id}_{name}") for name in SERVICES
    }
    common = {"environment": "dev", "log_level": "INFO"}
    payments_key, payments_secret = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
    per_service: dict[str, dict[str, str]] = {
        "gateway": {
            "platform_operator_email": PLATFORM_EMAIL,
            "platform_bootstrap_password": platform_password,
            "service_clients": f"agent:{agent_secret}",
            "access_token_ttl_seconds": "3600",  # the owners' tokens last the session
            "secrets_keyring": keyring("sec1"),
            "channel_keyring": channel_keyring,
            # one origin for the console: the gateway forwards the others' tenant paths
            "agent_url": urls["agent"],
            "catalog_url": urls["catalog"],
            "ingest_url": urls["ingest"],
            "notifier_url": urls["notifier"],
            # signed invoice links: the gateway's own key; opened on its public origin
            "link_keyring": keyring("link1"),
            "link_base_url": urls["gateway"],
        },
        "catalog": {
            "jwks_url": urls["gateway"] + JWKS_PATH,
            # pay by link through the sandbox provider (the sandbox process, /payments)
            "payments_provider": "sandbox",
            "payments_sandbox_url": urls["sandbox"],
            "payments_sandbox_api_key": payments_key,
            "payments_sandbox_secret": payments_secret,
            "public_url": urls["catalog"],
        },
        "ingest": {"qdrant_path": str(e2e_dir / "qdrant"), "jwks_url": urls["gateway"] + JWKS_PATH},
        "agent": {
            "secrets_keyring": keyring("agent1"),
            "jwks_url": urls["gateway"] + JWKS_PATH,
            "gateway_url": urls["gateway"],
            "service_client_secret": agent_secret,
            "catalog_url": urls["catalog"],
            "ingest_url": urls["ingest"],
            "shop_names": '{"demo": "Enoteca Bancone", "rival": "Cantina Rivale"}',
            "dev_poison_marker": POISON,
        },
        "notifier": {
            "jwks_url": urls["gateway"] + JWKS_PATH,
            "graph_base_url": urls["sandbox"],
            "channel_keyring": channel_keyring,
            "send_retry_initial_seconds": "0.2",
            # Campaign sends one at a time and a dead process's claims recovered after 5 s, so
            # the restart test can kill the notifier with some recipients still queued.
            "campaign_batch_size": "1",
            "campaign_concurrency": "2",
            "campaign_claim_lease_seconds": "5",
            # A campaign send that failed waits 20 s before its retry (default 60 s): long
            # enough for the console (polling every 5 s) to show it waiting, short enough for
            # a test to see it sent.
            "campaign_retry_delay_seconds": "20",
        },
    }
    supervisor = Supervisor()
    children = [
        Child(
            "sandbox",
            (sys.executable, "-m", "bancone_sandbox", "--port", str(ports["sandbox"])),
            {
                **base,
                "BANCONE_SANDBOX_STATUS_INTERVAL_SECONDS": "0.05",
                "BANCONE_SANDBOX_PAYMENTS_API_KEY": payments_key,
                "BANCONE_SANDBOX_PAYMENTS_SECRET": payments_secret,
                "BANCONE_SANDBOX_PAYMENTS_CALLBACK_BACKOFF_SECONDS": "0.2",
            },
            e2e_dir / "sandbox.log",
        )
    ]
    for name in SERVICES:
        env = service_env(
            base,
            name,
            {
                **common,
                **per_service[name],
                "database_url": databases[name],
                "http_port": str(ports[name]),
            },
        )
        argv = (sys.executable, "-m", f"bancone_{name}", "serve")
        children.append(Child(name, argv, env, e2e_dir / f"{name}.log"))

    platform = Platform(supervisor, urls, tenants, platform_password, kafka_bootstrap)
    try:
        migrations = [
            asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                f"bancone_{name}",
                "migrate",
                env=next(child.env for child in children if child.name == name),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            for name in SERVICES
        ]
        for name, proc in zip(SERVICES, await asyncio.gather(*migrations), strict=True):
            _, err = await proc.communicate()
            assert proc.returncode == 0, f"{name} migrate failed:\n{err.decode()[-3000:]}"
        for child in children:
            await supervisor.start(child)
        await asyncio.gather(*(platform.wait_ready(child.name) for child in children))
        await seed(platform)
        yield platform
    finally:
        await platform.http.aclose()
        await supervisor.stop_all(grace=30)


async def seed(platform: Platform) -> None:
    """As people would: the platform creates each tenant and its owner, the owner accepts the
    invite, logs in, registers the channel and imports the catalogue."""
    http, gateway = platform.http, platform.url("gateway")
    platform_token = await log_in_async(http, gateway, PLATFORM_EMAIL, platform.platform_password)
    for tenant in platform.tenants.values():
        owner_email = f"owner@{tenant.tenant_id}.example"
        owner_password = secrets.token_urlsafe(18)
        r = await http.post(
            f"{gateway}/v1/platform/tenants",
            json={"id": tenant.tenant_id, "name": tenant.name, "owner_email": owner_email},
            headers={"Authorization": f"Bearer {platform_token}"},
        )
        assert r.status_code == 201, r.text
        r = await http.post(
            f"{gateway}/v1/auth/invites/accept",
            json={"token": r.json()["owner_invite"]["token"], "password": owner_password},
        )
        assert r.status_code == 201, r.text
        platform.owner_logins[tenant.tenant_id] = (owner_email, owner_password)
        platform.owner_tokens[tenant.tenant_id] = await log_in_async(
            http, gateway, owner_email, owner_password
        )
        admin = platform.admin(tenant.tenant_id)
        r = await http.put(
            f"{platform.url('gateway')}/v1/tenants/{tenant.tenant_id}/channels/{tenant.phone_number_id}",
            json={
                "verify_token": tenant.verify_token,
                "app_secret": tenant.app_secret,
                "access_token": tenant.access_token,
                **({"waba_id": tenant.waba_id} if tenant.waba_id else {}),
            },
            headers=admin,
        )
        assert r.status_code in (200, 201), r.text
        r = await http.post(
            f"{platform.url('sandbox')}/sandbox/channels",
            json={
                "phone_number_id": tenant.phone_number_id,
                "access_token": tenant.access_token,
                "app_secret": tenant.app_secret,
                "gateway_webhook_url": f"{platform.url('gateway')}/webhooks/whatsapp",
            },
        )
        assert r.status_code in (200, 201), r.text
    catalogs = {"demo": DEMO_CATALOG.read_bytes(), "rival": encode(RIVAL_CATALOG)}
    for tenant_id, body in catalogs.items():
        r = await http.post(
            f"{platform.url('catalog')}/v1/tenants/{tenant_id}/import",
            params={"filename": "catalog.json"},
            content=body,
            headers={**platform.admin(tenant_id), "Content-Type": "application/json"},
        )
        assert r.status_code == 200, r.text
    r = await http.put(
        f"{platform.url('catalog')}/v1/tenants/demo/invoice-settings",
        content=(DEMO_CATALOG.parent / "invoice-settings.json").read_bytes(),
        headers={**platform.admin("demo"), "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    await wait_indexed(platform, "demo", "Barolo")
    await wait_indexed(platform, "rival", "Krug")


async def wait_indexed(platform: Platform, tenant_id: str, name: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    url = f"{platform.url('ingest')}/v1/tenants/{tenant_id}/search"
    while time.monotonic() < deadline:
        r = await platform.http.post(
            url,
            json={"text": name, "kinds": ["product"], "limit": 5},
            headers=platform.admin(tenant_id),
        )
        if r.status_code == 200 and any(name in h["title"] for h in r.json()["hits"]):
            return
        await asyncio.sleep(0.3)
    raise TimeoutError(f"ingest never indexed {name!r} for {tenant_id}")


@pytest.fixture
def customer() -> str:
    """A fresh WhatsApp customer number per test, so sandbox listings never mix tests."""
    return f"39{secrets.randbelow(10**9):09d}{secrets.randbelow(10):d}"
