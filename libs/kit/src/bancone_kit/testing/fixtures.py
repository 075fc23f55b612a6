"""pytest plugin: real Apache Kafka and PostgreSQL for the service and e2e tiers.

Where each engine comes from, first match wins:

1. the environment — ``KAFKA_BOOTSTRAP_SERVERS``, ``BANCONE_TEST_POSTGRES_URL`` (``make test``
   sets both from ``deploy/local/infra.sh up``);
2. testcontainers, when ``BANCONE_TESTCONTAINERS=1``, or when the local engine's tools are
   missing and a Docker engine answers (untested here: these machines have no Docker);
3. ``deploy/local/kafka.sh`` / ``postgres.sh``: the instance in ``.bancone/`` if one runs,
   otherwise a private one in a temp state dir, started for the session and stopped at its end.

Never the in-memory tansu broker: it rejects idempotent producers and keeps nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Awaitable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest

from bancone_kit.testing.provision import (
    asyncpg_url,
    create_database,
    drop_database,
    ensure_topics,
    unique_name,
)

# The shared service checks assert from a library module: rewrite them as pytest does tests.
pytest.register_assert_rewrite("bancone_kit.testing.service_checks")

T = TypeVar("T")

KAFKA_ENV = "KAFKA_BOOTSTRAP_SERVERS"
POSTGRES_ENV = "BANCONE_TEST_POSTGRES_URL"
TESTCONTAINERS_ENV = "BANCONE_TESTCONTAINERS"


@dataclass(frozen=True, slots=True)
class _Topic:
    name: str
    partitions: int
    compacted: bool = False


class NewTopicFactory(Protocol):
    """``await new_topic(partitions=3, name_prefix="t")`` → a fresh topic (and its ``.dlq``)."""

    def __call__(self, partitions: int = 3, name_prefix: str = "t") -> Awaitable[str]: ...


class NewPostgresUrlFactory(Protocol):
    """``await new_postgres_url()`` → the asyncpg URL of a fresh database, dropped at teardown."""

    def __call__(self, prefix: str = "test") -> Awaitable[str]: ...


def _run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from a sync session fixture without touching pytest-asyncio's loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _scripts_dir(config: pytest.Config) -> Path:
    for base in (config.rootpath, *config.rootpath.parents):
        candidate = base / "deploy" / "local"
        if (candidate / "kafka.sh").is_file():
            return candidate
    raise pytest.UsageError("deploy/local/kafka.sh not found above the pytest rootdir")


@contextlib.contextmanager
def _local_service(config: pytest.Config, script: str, state_var: str) -> Iterator[str]:
    """Reuse the instance `infra.sh up` / `make run` started, else run a private one.

    A private instance lives in its own temp state dir, so concurrent pytest sessions in one
    work tree never share (or stop) each other's broker or cluster.
    """
    bash = shutil.which("bash") or "/bin/bash"
    path = str(_scripts_dir(config) / script)
    status = subprocess.run(  # noqa: S603 - our own script
        [bash, path, "status"], capture_output=True, text=True, check=False
    )
    if status.returncode == 0 and status.stdout.strip():
        yield status.stdout.strip().splitlines()[-1]
        return
    state = tempfile.mkdtemp(prefix=f"bancone-{Path(script).stem}-")
    env = {**os.environ, state_var: state}
    try:
        started = subprocess.run(  # noqa: S603
            [bash, path, "start"], env=env, capture_output=True, text=True, check=False
        )
        if started.returncode != 0 or not started.stdout.strip():
            pytest.fail(f"{script} start failed:\n{started.stderr}", pytrace=False)
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([bash, path, "stop"], env=env, capture_output=True, check=False)  # noqa: S603
        shutil.rmtree(state, ignore_errors=True)


def _docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped,import-not-found,unused-ignore]

        client = docker.from_env(timeout=3)
        client.ping()
    except Exception:
        return False
    return True


def _use_testcontainers(local_tools_present: bool) -> bool:
    choice = os.environ.get(TESTCONTAINERS_ENV, "auto")
    if choice == "1":
        return True
    return choice == "auto" and not local_tools_present and _docker_answers()


def _all_contract_topics() -> list[_Topic]:
    try:
        from bancone_contracts.topics import ALL_TOPICS
    except ImportError:
        return []
    return [_Topic(t.name, t.partitions, t.compacted) for t in ALL_TOPICS]


@pytest.fixture(scope="session")
def kafka_bootstrap(request: pytest.FixtureRequest) -> Iterator[str]:
    """Bootstrap address of a real Apache Kafka broker with every contract topic created."""
    with contextlib.ExitStack() as stack:
        if env := os.environ.get(KAFKA_ENV):
            bootstrap = env
        elif _use_testcontainers(bool(shutil.which("java") and shutil.which("mvn"))):
            bootstrap = stack.enter_context(_kafka_container())
        else:
            bootstrap = stack.enter_context(
                _local_service(request.config, "kafka.sh", "BANCONE_KAFKA_DIR")
            )
        _run_sync(ensure_topics(bootstrap, _all_contract_topics()))
        yield bootstrap


@pytest.fixture(scope="session")
def postgres_admin_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """``postgresql://`` URL of a superuser on a real PostgreSQL server (its admin database)."""
    if env := os.environ.get(POSTGRES_ENV):
        yield env
        return
    binaries = any(Path("/usr/lib/postgresql").glob("*/bin/initdb")) or os.geteuid() == 0
    if _use_testcontainers(binaries):
        with _postgres_container() as url:
            yield url
        return
    with _local_service(request.config, "postgres.sh", "BANCONE_POSTGRES_DIR") as url:
        yield url


@pytest.fixture
async def new_postgres_url(postgres_admin_url: str) -> AsyncIterator[NewPostgresUrlFactory]:
    """Factory of fresh databases (asyncpg URLs), all dropped when the test ends."""
    created: list[str] = []

    async def make(prefix: str = "test") -> str:
        name = await create_database(postgres_admin_url, prefix)
        created.append(name)
        return asyncpg_url(postgres_admin_url, name)

    yield make
    for name in created:
        await drop_database(postgres_admin_url, name)


@pytest.fixture
async def postgres_url(new_postgres_url: NewPostgresUrlFactory) -> str:
    """``postgresql+asyncpg://`` URL of a database of this test's own, dropped afterwards."""
    return await new_postgres_url()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """``sqlite+aiosqlite://`` URL of a file database in this test's temp dir."""
    return f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"


@pytest.fixture(params=["postgres_url", "sqlite_url"])
def empty_database_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each engine in turn: PostgreSQL, then SQLite (``postgres_url``,
    ``sqlite_url``), for what must hold on both, such as a service's migrations."""
    return str(request.getfixturevalue(request.param))


@pytest.fixture
async def new_topic(kafka_bootstrap: str) -> NewTopicFactory:
    """Factory of fresh topics, each created with its ``<name>.dlq`` and ready to use."""

    async def make(partitions: int = 3, name_prefix: str = "t") -> str:
        name = unique_name(name_prefix)
        await ensure_topics(
            kafka_bootstrap, [_Topic(name, partitions), _Topic(f"{name}.dlq", partitions)]
        )
        return name

    return make


@contextlib.contextmanager
def _kafka_container() -> Iterator[str]:  # pragma: no cover - needs a Docker engine
    from testcontainers.kafka import KafkaContainer

    with KafkaContainer("confluentinc/cp-kafka:7.7.1").with_kraft() as kafka:
        yield str(kafka.get_bootstrap_server())


@contextlib.contextmanager
def _postgres_container() -> Iterator[str]:  # pragma: no cover - needs a Docker engine
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:16-alpine", driver=None) as pg:
        yield str(pg.get_connection_url())
