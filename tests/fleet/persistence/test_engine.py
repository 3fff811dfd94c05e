"""Database URLs and the SQLite connection settings.

About SQLite itself (its pragmas, its files, its in-memory mode), so these open their own SQLite
databases whatever ``VETTABBIA_TEST_DATABASE`` selects.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from fleet.persistence import Store, UnsupportedDatabaseError
from fleet.persistence.engine import SQLITE_BUSY_TIMEOUT_MS, async_database_url, create_engine
from ocpp_server.events import Measurand, MeterSample

from .conftest import T0


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///var/vettabbia.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///var/vettabbia.db", "sqlite+aiosqlite"),
        ("postgresql://vettabbia@db:5432/vettabbia", "postgresql+asyncpg"),
        ("postgresql+psycopg://vettabbia@db/vettabbia", "postgresql+asyncpg"),
        ("postgres://vettabbia@db/vettabbia", "postgresql+asyncpg"),
    ],
)
def test_plain_urls_get_the_async_driver(url: str, driver: str) -> None:
    assert async_database_url(url).drivername == driver


def test_another_backend_is_refused_without_showing_the_password() -> None:
    with pytest.raises(UnsupportedDatabaseError, match="only sqlite and postgresql") as raised:
        async_database_url("mysql://vettabbia:s3cret@db/vettabbia")

    assert "s3cret" not in str(raised.value)


async def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        async with engine.connect() as connection:
            settings = {
                pragma: (await connection.exec_driver_sql(f"PRAGMA {pragma}")).scalar()
                for pragma in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
            }
    finally:
        await engine.dispose()

    # synchronous: 1 is NORMAL.
    assert settings == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "synchronous": 1,
        "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
    }


async def test_building_a_store_touches_no_file(tmp_path: Path) -> None:
    path = tmp_path / "later.db"

    store = Store.from_url(f"sqlite:///{path}")
    await store.close()

    assert not path.exists()


async def test_an_in_memory_store_serves_many_coroutines_at_once() -> None:
    store = Store.from_url("sqlite://")
    await store.migrate()

    async def charge(n: int) -> int:
        transaction_id = await store.start_transaction(f"AC-{n:02d}", 1, "TAG", None, 0.0, T0)
        samples = [MeterSample(Measurand.ENERGY_IMPORT_KWH, 1.0, T0 + timedelta(minutes=1))]
        await store.add_meter_samples(f"AC-{n:02d}", 1, transaction_id, samples)
        await store.list_transactions()
        return transaction_id

    try:
        ids = await asyncio.gather(*(charge(n) for n in range(20)))
        assert len(set(ids)) == 20
        assert len(await store.active_transactions()) == 20
    finally:
        await store.close()
