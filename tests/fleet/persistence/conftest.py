"""Fixtures running every persistence test on SQLite (a temporary file) and on PostgreSQL.

PostgreSQL tests use the server on 127.0.0.1:5432 (trust authentication, user ``postgres``): one
fresh database per test module, emptied between tests and dropped at the end. They are skipped when
the server is not reachable.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest

from fleet.persistence import Store

POSTGRES_HOST = "127.0.0.1"
POSTGRES_PORT = 5432
POSTGRES_USER = "postgres"
POSTGRES_UNREACHABLE = f"PostgreSQL not reachable on {POSTGRES_HOST}:{POSTGRES_PORT}"

T = TypeVar("T")

T0 = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)
"""A Monday morning at the hub, the reference instant of the tests."""


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    # Fixture setup and teardown run outside the test's event loop.
    return asyncio.run(coroutine)


async def _admin(sql: str, database: str = "postgres") -> None:
    connection = await asyncpg.connect(
        host=POSTGRES_HOST, port=POSTGRES_PORT, user=POSTGRES_USER, database=database, timeout=3
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _postgres_reachable() -> bool:
    try:
        await _admin("SELECT 1")
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    return True


@pytest.fixture(scope="module")
def postgres_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database for the test module; yields its name."""
    if not _run(_postgres_reachable()):
        pytest.skip(POSTGRES_UNREACHABLE)
    module = re.sub(r"[^a-z0-9]+", "_", request.module.__name__.rsplit(".", 1)[-1].lower())
    name = f"vettabbia_{module}_{uuid.uuid4().hex[:8]}"[:63]
    _run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        _run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, on each backend in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'vettabbia.db'}"
        return
    name: str = request.getfixturevalue("postgres_database")
    try:
        yield f"postgresql://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"
    finally:
        _run(_admin("DROP SCHEMA public CASCADE; CREATE SCHEMA public", database=name))


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """A migrated store on an empty database."""
    opened = Store.from_url(database_url)
    await opened.migrate()
    try:
        yield opened
    finally:
        await opened.close()
