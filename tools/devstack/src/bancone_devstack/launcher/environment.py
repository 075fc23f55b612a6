"""The environment every process of `make run` gets, and the `run.env` it writes when ready
(what `bancone chat` and the benchmarks read)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from bancone_devstack.launcher.layout import Layout
from bancone_devstack.launcher.services import (
    AGENT,
    CATALOG,
    GATEWAY,
    INGEST,
    NOTIFIER,
    PROCESSES,
    SANDBOX,
    SERVICES,
    Service,
)
from bancone_devstack.ports import offset_port

JWKS_PATH = "/.well-known/jwks.json"
CONSOLE_PATH = "/console/"


def host_port(env: Mapping[str, str], svc: Service) -> tuple[str, int]:
    return env[svc.host_var], int(env[svc.port_var])


def base_url(env: Mapping[str, str], svc: Service) -> str:
    host, port = host_port(env, svc)
    return f"http://{host}:{port}"


def build_env(
    layout: Layout,
    port_offset: int,
    dev: Mapping[str, str],
    secret_values: Mapping[str, str],
    environ: Mapping[str, str],
) -> dict[str, str]:
    """dev.env < generated secrets < your environment; then what the launcher derives, unless
    you set it yourself. The notifier always sends to the sandbox: a local run never reaches
    Meta."""
    env = {**dev, **secret_values, **environ}
    for svc in PROCESSES:
        env.setdefault(svc.host_var, "127.0.0.1")
        env.setdefault(svc.port_var, str(offset_port(svc.default_port, port_offset)))
    for svc in SERVICES:
        db = layout.data / f"{svc.name}.sqlite"
        env.setdefault(f"{svc.prefix}DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    env.setdefault("BANCONE_GATEWAY_PLATFORM_BOOTSTRAP_PASSWORD", env["BANCONE_PLATFORM_PASSWORD"])
    env.setdefault(
        "BANCONE_GATEWAY_SERVICE_CLIENTS", f"agent:{env['BANCONE_AGENT_SERVICE_SECRET']}"
    )
    env.setdefault("BANCONE_AGENT_SERVICE_CLIENT_SECRET", env["BANCONE_AGENT_SERVICE_SECRET"])
    env.setdefault("BANCONE_AGENT_GATEWAY_URL", base_url(env, GATEWAY))
    # One origin for the console: the gateway forwards the other services' tenant paths.
    for svc in (AGENT, CATALOG, INGEST, NOTIFIER):
        env.setdefault(f"BANCONE_GATEWAY_{svc.name.upper()}_URL", base_url(env, svc))
    for svc in (CATALOG, INGEST, AGENT, NOTIFIER):
        env.setdefault(f"{svc.prefix}JWKS_URL", base_url(env, GATEWAY) + JWKS_PATH)
    env.setdefault("BANCONE_INGEST_QDRANT_PATH", str(layout.qdrant))
    env.setdefault("BANCONE_AGENT_CATALOG_URL", base_url(env, CATALOG))
    env.setdefault("BANCONE_AGENT_INGEST_URL", base_url(env, INGEST))
    env.setdefault(
        "BANCONE_AGENT_SHOP_NAMES",
        json.dumps({env["BANCONE_DEMO_TENANT_ID"]: env["BANCONE_DEMO_TENANT_NAME"]}),
    )
    env.setdefault("BANCONE_GATEWAY_LINK_BASE_URL", base_url(env, GATEWAY))
    _payments_env(env)
    env["BANCONE_NOTIFIER_GRAPH_BASE_URL"] = base_url(env, SANDBOX)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _payments_env(env: dict[str, str]) -> None:
    """The catalog gets paid through the sandbox provider (same process as the WhatsApp
    sandbox): both sides share one API key and callback secret; the sandbox calls the catalog
    back at its own URL."""
    key, secret = env["BANCONE_PAYMENTS_SANDBOX_API_KEY"], env["BANCONE_PAYMENTS_SANDBOX_SECRET"]
    env.setdefault("BANCONE_SANDBOX_PAYMENTS_API_KEY", key)
    env.setdefault("BANCONE_SANDBOX_PAYMENTS_SECRET", secret)
    env.setdefault("BANCONE_CATALOG_PAYMENTS_PROVIDER", "sandbox")
    env.setdefault("BANCONE_CATALOG_PAYMENTS_SANDBOX_URL", base_url(env, SANDBOX))
    env.setdefault("BANCONE_CATALOG_PAYMENTS_SANDBOX_API_KEY", key)
    env.setdefault("BANCONE_CATALOG_PAYMENTS_SANDBOX_SECRET", secret)
    env.setdefault("BANCONE_CATALOG_PUBLIC_URL", base_url(env, CATALOG))


def run_env_values(env: Mapping[str, str]) -> dict[str, str]:
    """What `run.env` tells its readers: every URL, the demo channel and the demo owner's
    login (`bancone import` logs in with it)."""
    return {
        "BANCONE_GATEWAY_URL": base_url(env, GATEWAY),
        "BANCONE_CONSOLE_URL": base_url(env, GATEWAY) + CONSOLE_PATH,
        "BANCONE_SANDBOX_URL": base_url(env, SANDBOX),
        "BANCONE_CATALOG_URL": base_url(env, CATALOG),
        "BANCONE_INGEST_URL": base_url(env, INGEST),
        "BANCONE_AGENT_URL": base_url(env, AGENT),
        "BANCONE_NOTIFIER_URL": base_url(env, NOTIFIER),
        "BANCONE_DEMO_TENANT_ID": env["BANCONE_DEMO_TENANT_ID"],
        "BANCONE_DEMO_PHONE_NUMBER_ID": env["BANCONE_DEMO_PHONE_NUMBER_ID"],
        "BANCONE_DEMO_APP_SECRET": env["BANCONE_DEMO_APP_SECRET"],
        "BANCONE_DEMO_VERIFY_TOKEN": env["BANCONE_DEMO_VERIFY_TOKEN"],
        "BANCONE_DEMO_OWNER_EMAIL": env["BANCONE_DEMO_OWNER_EMAIL"],
        "BANCONE_DEMO_OWNER_PASSWORD": env["BANCONE_DEMO_OWNER_PASSWORD"],
        "KAFKA_BOOTSTRAP_SERVERS": env["KAFKA_BOOTSTRAP_SERVERS"],
    }
