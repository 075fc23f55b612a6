"""Checks every service's tests make the same way: its settings, `/healthz`, `/metrics` and
Alembic history. Each service keeps its own test module stating its specifics (port, tables,
routes); the steps and assertions live here once, so the five services are checked alike.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Set
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from bancone_kit.db import create_engine
from bancone_kit.db.migrations import (
    downgrade_database,
    service_metadata,
    table_names,
    upgrade_database,
)
from bancone_kit.settings import ServiceSettings

__all__ = [
    "MetricsProbe",
    "MetricsScrape",
    "ServiceShellChecks",
    "assert_healthz_answers",
    "assert_http_series_served",
    "assert_migrations_round_trip",
    "assert_schema_matches_models",
    "assert_settings_read_their_port",
    "shell_checks",
]

HTTP_SERIES = ("bancone_http_requests_total", "bancone_http_request_duration_seconds_count")
"""What the kit's app factory records for every request: a count and a latency histogram."""


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")


def assert_settings_read_their_port(
    settings: Callable[[], ServiceSettings],
    monkeypatch: pytest.MonkeyPatch,
    *,
    default_port: int,
    port_variable: str,
    database_file: str,
) -> None:
    """The service's default port, overridden by its own prefixed variable; its default
    database is a SQLite file named for it."""
    assert settings().http_port == default_port
    monkeypatch.setenv(port_variable, "9999")
    assert settings().http_port == 9999
    assert settings().database_url.endswith(f"/{database_file}")


async def assert_healthz_answers(app: FastAPI) -> None:
    """Liveness answers `ok` and carries a request id."""
    async with _client(app) as client:
        response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"]


@dataclass(frozen=True, slots=True)
class MetricsScrape:
    """The status the probed request got, and `/metrics` as scraped right after it."""

    request_status: int
    text: str


async def assert_http_series_served(
    app: FastAPI, method: str, path: str, *, route: str
) -> MetricsScrape:
    """Make one request, scrape `/metrics`: Prometheus text holding that request's count and
    latency, labelled by `route` (the template, not the raw path) and its status. Returns the
    scrape for the service's own checks (its counters, the broker's)."""
    async with _client(app) as client:
        status = (await client.request(method, path)).status_code
        response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    labels = {"route": route, "method": method, "status": str(status)}
    samples = {
        (sample.name, tuple(sorted(sample.labels.items())))
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    for name in HTTP_SERIES:
        assert (name, tuple(sorted(labels.items()))) in samples
    return MetricsScrape(request_status=status, text=response.text)


async def assert_migrations_round_trip(url: str, migrations: str, tables: Set[str]) -> None:
    """The history builds `tables` on an empty database, removes them all going down to base,
    and builds them again."""
    await upgrade_database(url, migrations)
    assert await table_names(url) >= tables

    await downgrade_database(url, migrations)
    assert not tables & await table_names(url)

    await upgrade_database(url, migrations)
    assert await table_names(url) >= tables


async def assert_schema_matches_models(url: str, migrations: str, models: MetaData) -> None:
    """Tables are created only by migrations: the models must describe exactly the schema the
    history builds (Alembic's autogenerate finds nothing to add, drop or retype)."""
    await upgrade_database(url, migrations)
    engine = create_engine(url)

    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, models))

    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(diff)
    finally:
        await engine.dispose()
    assert differences == []


@dataclass(frozen=True, slots=True)
class MetricsProbe:
    """A request whose HTTP series `/metrics` must then serve under `route` (the template),
    next to the other `series` (metric families) the service promises."""

    method: str
    path: str
    route: str
    series: tuple[str, ...] = ("faststream_published_messages_total",)


def sync_dependencies(app: FastAPI) -> list[str]:
    """The route dependencies of `app` that FastAPI would call in its threadpool."""
    found: set[str] = set()

    def visit(dependant: Any) -> None:
        for sub in dependant.dependencies:
            call = sub.call
            if call is not None and not _is_async(call):
                found.add(getattr(call, "__qualname__", repr(call)))
            visit(sub)

    for route in app.routes:
        # An included router is one route here; its routes, with the dependencies the
        # include adds, are its effective route contexts (FastAPI ≥ 0.13x).
        contexts = getattr(route, "effective_route_contexts", None)
        for each in contexts() if callable(contexts) else [route]:
            dependant = getattr(each, "dependant", None)
            if dependant is not None:
                visit(dependant)
    return sorted(found)


def _is_async(call: Any) -> bool:
    """A coroutine function, or an instance whose `__call__` is one (FastAPI's security
    schemes)."""
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(type(call).__call__)


class ServiceShellChecks:
    """The checks every service passes: its settings, liveness, `/metrics` and Alembic history
    (unit and service tiers). A service's tests declare it in one line with `shell_checks`."""

    settings_class: ClassVar[type[ServiceSettings]]
    app_factory: ClassVar[Callable[[Any], FastAPI]]
    default_port: ClassVar[int]
    models: ClassVar[MetaData]
    """The service's tables: its history must build exactly these (plus the kit's outbox and
    inbox), and remove them going down."""
    metrics: ClassVar[MetricsProbe | None] = None

    def _settings(self, **values: Any) -> ServiceSettings:
        return type(self).settings_class(**values)

    @property
    def _name(self) -> str:
        return str(type(self).settings_class.model_fields["service_name"].default)

    @property
    def _migrations(self) -> str:
        return f"bancone_{self._name}.migrations"

    @pytest.mark.unit
    def test_settings_use_their_prefix_and_port(self, monkeypatch: pytest.MonkeyPatch) -> None:
        prefix = str(type(self).settings_class.model_config.get("env_prefix") or "")
        assert_settings_read_their_port(
            self._settings,
            monkeypatch,
            default_port=type(self).default_port,
            port_variable=f"{prefix}HTTP_PORT",
            database_file=f"{self._name}.sqlite",
        )

    @pytest.mark.unit
    async def test_healthz_answers(self) -> None:
        settings = self._settings(database_url="sqlite+aiosqlite:///:memory:")
        await assert_healthz_answers(type(self).app_factory(settings))

    @pytest.mark.unit
    async def test_metrics_count_a_request_by_route_template(self) -> None:
        probe = type(self).metrics
        assert probe is not None
        app = type(self).app_factory(self._settings(database_url="sqlite+aiosqlite:///:memory:"))
        scrape = await assert_http_series_served(app, probe.method, probe.path, route=probe.route)
        for name in probe.series:
            assert f"# TYPE {name} counter" in scrape.text, f"{name} is served too"

    @pytest.mark.unit
    def test_no_route_dependency_runs_in_the_threadpool(self) -> None:
        """FastAPI runs a plain `def` dependency in its threadpool: two thread hand-offs per
        request for reading `app.state` (a fifth of the catalog's CPU in `make bench`)."""
        app = type(self).app_factory(self._settings(database_url="sqlite+aiosqlite:///:memory:"))
        assert sync_dependencies(app) == []

    @pytest.mark.service
    async def test_migrations_upgrade_an_empty_database_and_downgrade_to_base(
        self, empty_database_url: str
    ) -> None:
        tables = set(service_metadata(type(self).models).tables)
        await assert_migrations_round_trip(empty_database_url, self._migrations, tables)

    @pytest.mark.service
    async def test_migrated_schema_matches_its_models(self, empty_database_url: str) -> None:
        models = service_metadata(type(self).models)
        await assert_schema_matches_models(empty_database_url, self._migrations, models)


def shell_checks(
    settings_class: type[ServiceSettings],
    app_factory: Callable[[Any], FastAPI],
    default_port: int,
    models: MetaData,
    metrics: MetricsProbe | None = None,
) -> type[ServiceShellChecks]:
    """The `ServiceShellChecks` of one service, for a test module to bind to a `Test...` name:
    `TestNotifierShell = shell_checks(NotifierSettings, build_app, 8084, metadata)`."""
    attributes: dict[str, Any] = {
        "settings_class": settings_class,
        "app_factory": staticmethod(app_factory),
        "default_port": default_port,
        "models": models,
        "metrics": metrics,
    }
    if metrics is None:  # the service checks its /metrics in its own tests
        attributes["test_metrics_count_a_request_by_route_template"] = None
    name = f"Test{settings_class.__name__.removesuffix('Settings')}Shell"
    return type(name, (ServiceShellChecks,), attributes)
