"""The migrations create exactly the schema the ORM describes, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Index, MetaData, String, insert, inspect
from sqlalchemy.engine import Connection

from fleet.cli import main
from fleet.persistence import Store
from fleet.persistence.engine import create_engine
from fleet.persistence.models import Base
from ocpp_server.events import Measurand

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


async def test_the_command_line_upgrades_and_downgrades_with_a_plain_url(empty_database_url: str) -> None:
    await _alembic(empty_database_url, "upgrade", "head")
    assert await _differences(empty_database_url, Base.metadata) == []

    await _alembic(empty_database_url, "downgrade", "base")
    assert await _table_names(empty_database_url) == {"alembic_version"}


async def test_upgrading_a_database_keeps_its_transactions_linked_to_their_meter_values(
    empty_database_url: str,
) -> None:
    # A database of the release before OCPP 2.0.1, with one transaction and its meter value.
    await _alembic(empty_database_url, "upgrade", "0010")
    started_at = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)
    transactions = Base.metadata.tables["transactions"]
    engine = create_engine(empty_database_url)
    try:
        async with engine.begin() as connection:
            old_id = await connection.scalar(
                insert(transactions)
                .values(
                    charge_point_id="AC-01",
                    connector_id=1,
                    id_tag="TAG-1",
                    meter_start_kwh=10.0,
                    started_at=started_at,
                )
                .returning(transactions.c.id)
            )
            await connection.execute(
                insert(Base.metadata.tables["meter_values"]).values(
                    charge_point_id="AC-01",
                    connector_id=1,
                    transaction_id=old_id,
                    measurand=Measurand.ENERGY_IMPORT_KWH.value,
                    phase="",
                    value=12.5,
                    measured_at=started_at,
                )
            )
    finally:
        await engine.dispose()

    store = Store.from_url(empty_database_url)
    try:
        await store.migrate()
        assert old_id is not None
        old = await store.get_transaction(old_id)
        assert old is not None
        assert (old.id_tag, old.charger_transaction_id, old.ev_needs) == ("TAG-1", None, None)
        assert await store.meter_series(old_id, Measurand.ENERGY_IMPORT_KWH) == [(started_at, 12.5)]
        first = await store.start_transaction("AC-01", 1, "", None, 12.5, started_at, charger_transaction_id="tx-1")
        assert first != old_id
        assert (
            await store.start_transaction("AC-01", 1, "", None, 12.5, started_at, charger_transaction_id="tx-1")
            == first
        )
    finally:
        await store.close()
    assert await _differences(empty_database_url, Base.metadata) == []


def test_the_migrate_command_brings_an_empty_database_to_the_newest_schema(empty_database_url: str) -> None:
    assert main(["migrate", "--database-url", empty_database_url]) == 0
    assert "vehicles" in asyncio.run(_table_names(empty_database_url))
    assert asyncio.run(_differences(empty_database_url, Base.metadata)) == []
