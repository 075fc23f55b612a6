"""Liveness and readiness: `/healthz` says the process answers, `/readyz` that its
dependencies (database, broker) do, so an orchestrator only routes traffic when both hold."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from aiokafka.client import AIOKafkaClient
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_kit.http.problems import problem_response
from bancone_kit.logging import get_logger

ReadinessCheck = Callable[[], Awaitable[None]]
"""An async callable that returns when a dependency answers and raises when it does not."""

log = get_logger(__name__)


@dataclass(frozen=True)
class NamedCheck:
    """A readiness check with the name `/readyz` reports it under."""

    name: str
    probe: ReadinessCheck

    async def __call__(self) -> None:
        await self.probe()


def check_name(check: ReadinessCheck) -> str:
    name = getattr(check, "name", None) or getattr(check, "__name__", None)
    return str(name or type(check).__name__)


def database_check(engine: AsyncEngine) -> NamedCheck:
    """Ready when the database answers `SELECT 1`."""

    async def probe() -> None:
        async with engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))

    return NamedCheck("database", probe)


def kafka_check(bootstrap_servers: str, timeout_s: float = 2.0) -> NamedCheck:
    """Ready when a Kafka broker of `bootstrap_servers` returns cluster metadata in time."""

    async def probe() -> None:
        client = AIOKafkaClient(
            bootstrap_servers=bootstrap_servers,
            client_id="bancone-readiness",
            request_timeout_ms=int(timeout_s * 1000),
        )
        try:
            async with asyncio.timeout(timeout_s):
                await client.bootstrap()
        finally:
            await client.close()

    return NamedCheck("kafka", probe)


async def _run_check(check: ReadinessCheck, timeout_s: float) -> str | None:
    """None when the check passed, else a short reason (no internals: hosts stay in logs)."""
    try:
        async with asyncio.timeout(timeout_s):
            await check()
    except TimeoutError:
        log.warning("readiness.check_timed_out", check=check_name(check), timeout_s=timeout_s)
        return "timed out"
    except Exception as error:
        log.warning("readiness.check_failed", check=check_name(check), error=repr(error))
        return f"failed: {type(error).__name__}"
    return None


async def run_readiness_checks(
    checks: Sequence[ReadinessCheck], timeout_s: float = 3.0
) -> dict[str, str]:
    """Run the checks concurrently; map each name to `ok` or why it failed."""
    results = await asyncio.gather(*(_run_check(check, timeout_s) for check in checks))
    return {
        check_name(check): reason or "ok" for check, reason in zip(checks, results, strict=True)
    }


def health_router(checks: Sequence[ReadinessCheck], timeout_s: float = 3.0) -> APIRouter:
    """The `/healthz` and `/readyz` routes (kept out of the OpenAPI schema)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> Any:
        results = await run_readiness_checks(checks, timeout_s)
        failed = sorted(name for name, result in results.items() if result != "ok")
        if failed:
            return problem_response(
                503,
                "Not ready",
                f"unavailable: {', '.join(failed)}",
                instance="/readyz",
                checks=results,
            )
        return JSONResponse({"status": "ready", "checks": results})

    return router
