"""The database fixtures themselves: a migrated database is the newest schema and nothing else, each
copy of the template is a database of its own, and an empty one is empty; on the selected backend."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from fleet.persistence import Store, VehicleClass, VehicleRecord
from fleet.persistence.engine import create_engine
from fleet.persistence.migration import alembic_config
from tests.databases import Databases

VAN = VehicleRecord(
    id="VAN-01",
    fleet="logistics",
    vehicle_class=VehicleClass.VAN,
    name="Van 1",
    id_tag="TAG-VAN-01",
    battery_kwh=75.0,
    max_ac_kw=22.0,
    max_dc_kw=50.0,
)


async def _tables_and_revision(url: str) -> tuple[set[str], str | None]:
    def read(connection: Connection) -> tuple[set[str], str | None]:
        return set(inspect(connection).get_table_names()), MigrationContext.configure(connection).get_current_revision()

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(read)
    finally:
        await engine.dispose()


async def test_a_migrated_database_is_at_the_newest_revision_and_holds_no_rows(database_url: str) -> None:
    tables, revision = await _tables_and_revision(database_url)
    assert revision == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert {"vehicles", "transactions", "meter_values"} <= tables
    store = Store.from_url(database_url)
    try:
        assert await store.list_vehicles() == []
    finally:
        await store.close()


async def test_copies_of_the_template_do_not_share_their_rows(databases: Databases) -> None:
    first = Store.from_url(databases.new_url("first", migrated=True))
    try:
        await first.upsert_vehicles([VAN])
        assert [v.id for v in await first.list_vehicles()] == ["VAN-01"]
    finally:
        await first.close()
    second = Store.from_url(databases.new_url("second", migrated=True))
    try:
        assert await second.list_vehicles() == []
    finally:
        await second.close()


async def test_an_empty_database_has_no_tables(empty_database_url: str) -> None:
    assert await _tables_and_revision(empty_database_url) == (set(), None)
