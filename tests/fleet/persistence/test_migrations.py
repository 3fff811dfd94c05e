"""The migrations create exactly the schema the ORM describes, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Index, MetaData, String, inspect
from sqlalchemy.engine import Connection

from fleet.persistence import Store
from fleet.persistence.engine import create_engine
from fleet.persistence.models import Base

ALEMBIC_INI = Path(__file__).resolve().parents[3] / "fleet" / "persistence" / "alembic.ini"


async def _differences(url: str, metadata: MetaData) -> list[Any]:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


async def _table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def _alembic(url: str, *arguments: str) -> None:
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "alembic", "-c", str(ALEMBIC_INI), "-x", f"url={url}", *arguments),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()


async def test_migrated_database_matches_the_orm_metadata(store: Store, database_url: str) -> None:
    assert await _differences(database_url, Base.metadata) == []


async def test_the_comparison_reports_a_schema_the_migrations_do_not_create(store: Store, database_url: str) -> None:
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(changed)
    vehicles = changed.tables["vehicles"]
    vehicles.append_column(Column("colour", String(), nullable=True))
    Index("ix_vehicles_fleet", vehicles.c.fleet)

    kinds = sorted(difference[0] for difference in await _differences(database_url, changed))

    assert kinds == ["add_column", "add_index"]


async def test_migrating_twice_changes_nothing(store: Store, database_url: str) -> None:
    await store.migrate()

    assert await _differences(database_url, Base.metadata) == []


async def test_the_command_line_upgrades_and_downgrades_with_a_plain_url(database_url: str) -> None:
    await _alembic(database_url, "upgrade", "head")
    assert await _differences(database_url, Base.metadata) == []

    await _alembic(database_url, "downgrade", "base")
    assert await _table_names(database_url) == {"alembic_version"}
