"""The kit's migration runner and messaging-table operations, on a throwaway history."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from bancone_kit.db import create_engine
from bancone_kit.db.migrations import (
    create_revision,
    downgrade_database,
    table_names,
    upgrade_database,
)
from bancone_kit.messaging.tables import InboxRecord, OutboxRecord

pytestmark = pytest.mark.service

ENV = "from bancone_kit.db.migrations import run_alembic_env\n\nrun_alembic_env()\n"
FIRST = """
from bancone_kit.db.migration_ops import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None


def upgrade():
    create_messaging_tables()


def downgrade():
    drop_messaging_tables()
"""
BROKEN = """
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade():
    op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
    raise RuntimeError("migration bug")


def downgrade():
    op.drop_table("half_done")
"""
TEMPLATE = '''"""${message}"""
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}


def upgrade():
    ${upgrades if upgrades else "pass"}


def downgrade():
    ${downgrades if downgrades else "pass"}
'''


@pytest.fixture
def history(tmp_path: Path) -> Path:
    root = tmp_path / "migrations"
    (root / "versions").mkdir(parents=True)
    (root / "env.py").write_text(ENV)
    (root / "script.py.mako").write_text(TEMPLATE)
    (root / "versions" / "0001_messaging.py").write_text(FIRST)
    return root


@pytest.fixture(params=["postgres_url", "sqlite_url"])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(request.param))


def _messaging_metadata() -> sa.MetaData:
    metadata = sa.MetaData()
    for model in (OutboxRecord, InboxRecord):
        SQLModel.metadata.tables[str(model.__tablename__)].to_metadata(metadata)
    return metadata


async def test_messaging_tables_match_their_models_exactly(
    database_url: str, history: Path
) -> None:
    await upgrade_database(database_url, history)

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}),
                    _messaging_metadata(),
                )
            )
    finally:
        await engine.dispose()

    unrelated = {"alembic_version"}
    assert [d for d in diff if not (d[0] == "remove_table" and d[1].name in unrelated)] == []


async def test_upgrade_then_downgrade_to_base_leaves_no_messaging_tables(
    database_url: str, history: Path
) -> None:
    await upgrade_database(database_url, history)
    assert {"outbox", "inbox", "alembic_version"} <= await table_names(database_url)

    await downgrade_database(database_url, history)
    assert not {"outbox", "inbox"} & await table_names(database_url)


async def test_failed_revision_leaves_the_database_as_it_was(
    database_url: str, history: Path
) -> None:
    await upgrade_database(database_url, history)
    (history / "versions" / "0002_broken.py").write_text(BROKEN)

    with pytest.raises(RuntimeError, match="migration bug"):
        await upgrade_database(database_url, history)

    assert "half_done" not in await table_names(database_url)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            version = (
                await connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            ).scalar()
    finally:
        await engine.dispose()
    assert version == "0001"


async def test_new_revision_is_numbered_after_the_last(sqlite_url: str, history: Path) -> None:
    await upgrade_database(sqlite_url, history)

    path = await create_revision(sqlite_url, history, "add products")

    assert path.name == "0002_add_products.py"
    assert "down_revision = '0001'" in path.read_text()


async def test_concurrent_upgrades_on_postgresql_take_turns(
    postgres_url: str, history: Path
) -> None:
    await asyncio.gather(*(upgrade_database(postgres_url, history) for _ in range(3)))

    assert {"outbox", "inbox"} <= await table_names(postgres_url)
