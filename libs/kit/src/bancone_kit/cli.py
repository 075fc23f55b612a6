"""The command line every service shares: `bancone-<service> serve | migrate`.

Each service's `__main__.main` passes its settings class and its `bootstrap.build_app`; the
service's name (and so `bancone_<name>.migrations`) comes from the settings' `service_name`.
Process-wide set-up (logging, tracing) happens here and nowhere else.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError

from bancone_kit.db.migrations import create_revision, downgrade, run_migrations
from bancone_kit.gc_pauses import frozen_after_startup, watch_gc_pauses
from bancone_kit.logging import configure_logging, get_logger
from bancone_kit.settings import ServiceSettings
from bancone_kit.tracing import configure_tracing

S = TypeVar("S", bound=ServiceSettings)

log = get_logger("bancone.cli")


def _parser(service: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"bancone-{service}", description=f"Bancone {service}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP app (and its consumers) with uvicorn")
    serve.add_argument("--host", help="override the http_host setting")
    serve.add_argument("--port", type=int, help="override the http_port setting")
    serve.add_argument("--migrate", action="store_true", help="upgrade the database to head first")

    migrate = commands.add_parser("migrate", help="apply the service's Alembic migrations")
    target = migrate.add_mutually_exclusive_group()
    target.add_argument("--revision", default="head", help="upgrade to this revision (head)")
    target.add_argument("--downgrade", metavar="REVISION", help="downgrade to REVISION (base)")
    target.add_argument("--new", metavar="MESSAGE", help="write the next revision file")
    migrate.add_argument(
        "--autogenerate", action="store_true", help="with --new: diff the database and models"
    )
    return parser


KEEP_ALIVE_SECONDS = 75
"""How long an idle client connection stays open: longer than any client keeps one in its pool
(httpx: 5 s, ingress proxies: 60 s), so the client always closes first. With uvicorn's 5 s
default, a request sent on a pooled connection just as the server closed it failed
(`ReadError`: seen as a failed campaign poll through the gateway's API proxy)."""


def _serve(settings: ServiceSettings, app: FastAPI, host: str | None, port: int | None) -> None:
    uvicorn.run(
        frozen_after_startup(app),
        host=host or settings.http_host,
        port=port if port is not None else settings.http_port,
        log_config=None,
        access_log=False,
        server_header=False,
        lifespan="on",
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )


def _service_name(load_settings: Callable[[], ServiceSettings]) -> str:
    fields = getattr(load_settings, "model_fields", {})
    field = fields.get("service_name")
    if field is None or not isinstance(field.default, str):
        raise TypeError("pass service= unless load_settings is a ServiceSettings class")
    return field.default


def run_service_cli(
    argv: Sequence[str] | None,
    *,
    load_settings: Callable[[], S],
    build_app: Callable[[S], FastAPI],
    service: str | None = None,
    migrations_package: str | None = None,
) -> int:
    """Parse `argv` and run the command; returns the process exit code. `service` defaults to
    the settings class's `service_name`, `migrations_package` to `bancone_<service>.migrations`.
    """
    service = service or _service_name(load_settings)
    migrations_package = migrations_package or f"bancone_{service}.migrations"
    args = _parser(service).parse_args(argv)
    try:
        settings = load_settings()
    except ValidationError as error:
        print(f"bancone-{service}: invalid settings\n{error}", file=sys.stderr)
        return 2
    configure_logging(settings)
    url = settings.database_url
    if args.command == "migrate":
        if args.new:
            path = asyncio.run(
                create_revision(url, migrations_package, args.new, autogenerate=args.autogenerate)
            )
            log.info("migrations.revision_written", path=str(path))
        elif args.downgrade:
            downgrade(url, migrations_package, args.downgrade)
            log.info(
                "migrations.downgraded", revision=args.downgrade, url=settings.database_url_safe
            )
        else:
            run_migrations(url, migrations_package, args.revision)
            log.info("migrations.upgraded", revision=args.revision, url=settings.database_url_safe)
        return 0
    provider = configure_tracing(
        settings.service_name, settings.otel_exporter, settings.otel_endpoint
    )
    try:
        if args.migrate:
            run_migrations(url, migrations_package)
            log.info("migrations.upgraded", revision="head", url=settings.database_url_safe)
        watch_gc_pauses()
        _serve(settings, build_app(settings), args.host, args.port)
    finally:
        provider.shutdown()
    return 0
