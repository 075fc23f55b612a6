"""Alembic driven from code: each service keeps its history in its own `migrations` package.

No `alembic.ini`: the script location is the package's directory, the URL comes from the
service settings. Every service's `migrations/env.py` is one call, `run_alembic_env(<its
tables' metadata>)`, so the environment logic (async engines, batch mode for SQLite, the
kit's outbox and inbox in the autogenerate target) exists once, here.

The async functions run inside an event loop (tests, a lifespan); `run_migrations` and
`downgrade` wrap them for the command line.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import URL, Connection
from sqlalchemy.pool import NullPool

from bancone_kit.db.engine import create_engine, is_sqlite, normalize_database_url
from bancone_kit.messaging.tables import InboxRecord, OutboxRecord

_MIGRATION_LOCK_ID = zlib.crc32(b"bancone-migrations")
"""PostgreSQL advisory lock held while migrating (each service has its own database)."""

MigrationsLocation = str | os.PathLike[str]
"""A dotted package name (`bancone_gateway.migrations`) or a directory path."""


def _script_location(migrations: MigrationsLocation) -> Path:
    if isinstance(migrations, os.PathLike):
        return Path(migrations)
    module = importlib.import_module(migrations)
    if module.__file__ is None:
        raise ValueError(f"{migrations} is not a regular package with an __init__.py")
    return Path(module.__file__).parent


def alembic_config(url: str | URL, migrations: MigrationsLocation) -> Config:
    """An Alembic config for the service's migrations package and database URL."""
    config = Config()
    config.set_main_option("script_location", str(_script_location(migrations)))
    config.set_main_option("path_separator", "os")
    rendered = normalize_database_url(url).render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


async def _with_connection(
    url: str | URL, config: Config, action: Callable[[Config], object]
) -> None:
    """Run an Alembic command on one connection, inside one transaction."""
    # Foreign keys off on SQLite: batch operations rebuild tables (SQLite ignores the pragma
    # inside a transaction, so it has to be set when connecting).
    engine = create_engine(url, sqlite_foreign_keys=False, poolclass=NullPool)

    def run(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            # Replicas started together migrate one after the other, not concurrently.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})")
        config.attributes["connection"] = connection
        action(config)

    try:
        async with engine.begin() as connection:
            await connection.run_sync(run)
    finally:
        await engine.dispose()


async def upgrade_database(
    url: str | URL, migrations: MigrationsLocation, revision: str = "head"
) -> None:
    """Upgrade the database to `revision` (all of the service's history by default)."""
    config = alembic_config(url, migrations)
    await _with_connection(url, config, lambda cfg: command.upgrade(cfg, revision))


async def downgrade_database(
    url: str | URL, migrations: MigrationsLocation, revision: str = "base"
) -> None:
    """Downgrade the database to `revision` (an empty schema by default)."""
    config = alembic_config(url, migrations)
    await _with_connection(url, config, lambda cfg: command.downgrade(cfg, revision))


async def create_revision(
    url: str | URL, migrations: MigrationsLocation, message: str, *, autogenerate: bool = False
) -> Path:
    """Write the next revision file (`0002_<slug>.py`, ...); autogenerate diffs the database
    at `url`, which must be at head, against the metadata the service's env.py passes."""
    config = alembic_config(url, migrations)
    script = ScriptDirectory.from_config(config)
    rev_id = f"{sum(1 for _ in script.walk_revisions()) + 1:04d}"
    written: list[Path] = []

    def revise(cfg: Config) -> None:
        result = command.revision(cfg, message=message, autogenerate=autogenerate, rev_id=rev_id)
        scripts = result if isinstance(result, list) else [result]
        written.extend(Path(s.path) for s in scripts if s is not None)

    await _with_connection(url, config, revise)
    return written[0]


async def table_names(url: str | URL) -> set[str]:
    """The tables that exist in the database now (to check what migrations did)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()
    return set(names)


def run_migrations(url: str | URL, migrations_package: str, revision: str = "head") -> None:
    """Blocking `upgrade_database`, for the command line (not inside a running event loop)."""
    asyncio.run(upgrade_database(url, migrations_package, revision))


def downgrade(url: str | URL, migrations_package: str, revision: str = "base") -> None:
    """Blocking `downgrade_database`, for the command line (not inside a running event loop)."""
    asyncio.run(downgrade_database(url, migrations_package, revision))


def service_metadata(*metadata: MetaData) -> MetaData:
    """What a service's migrations create: the tables of `metadata` (its models' registries)
    plus the kit's outbox and inbox — the autogenerate target, and what schema checks compare.
    """
    shared = OutboxRecord.metadata.tables
    messaging = [shared[str(record.__tablename__)] for record in (OutboxRecord, InboxRecord)]
    combined = MetaData()
    for table in [*(t for source in metadata for t in source.tables.values()), *messaging]:
        if table.name not in combined.tables:
            table.to_metadata(combined)
    return combined


def _run_on_connection(connection: Connection, target_metadata: MetaData | None) -> None:
    from alembic import context

    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_on_new_connection(url: str, target_metadata: MetaData | None) -> None:
    engine = create_engine(url, sqlite_foreign_keys=False, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_on_connection, target_metadata)
            await connection.commit()
    finally:
        await engine.dispose()


def run_alembic_env(*metadata: MetaData) -> None:
    """The body of every service's `migrations/env.py`: `run_alembic_env(MyTable.metadata)`.

    The target (for --autogenerate) is `service_metadata(*metadata)`. Uses the connection the
    functions above hand over in `config.attributes`; opens its own when Alembic is driven
    some other way; renders SQL in offline (`--sql`) mode.
    """
    from alembic import context

    target_metadata = service_metadata(*metadata)
    config = context.config
    url = config.get_main_option("sqlalchemy.url") or ""
    if context.is_offline_mode():
        context.configure(
            url=url,
            target_metadata=target_metadata,
            literal_binds=True,
            render_as_batch=is_sqlite(url),
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection: Any = config.attributes.get("connection")
    if isinstance(connection, Connection):
        _run_on_connection(connection, target_metadata)
    else:
        asyncio.run(_run_on_new_connection(url, target_metadata))
