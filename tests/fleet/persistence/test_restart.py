"""Everything written is still there after the store is closed and opened again."""

from __future__ import annotations

from datetime import timedelta

from fleet.persistence import Store, VehicleClass, VehicleRecord
from ocpp_server.events import Measurand, MeterSample

from .conftest import T0


async def test_data_survives_closing_and_reopening_the_store(database_url: str) -> None:
    vehicle = VehicleRecord("van-03", "logistics", VehicleClass.VAN, "e-Ducato #3", "TAG-1003", 79.0, 22.0, 50.0)
    before = Store.from_url(database_url)
    await before.migrate()
    await before.record_connection("DC-05", "1.6", True, T0)
    await before.upsert_vehicles([vehicle])
    booking = await before.add_booking("van-03", T0 + timedelta(hours=9), 60.0, 2.0, created_at=T0)
    transaction_id = await before.start_transaction("DC-05", 1, "TAG-1003", "van-03", 300.0, T0)
    await before.add_meter_samples(
        "DC-05", 1, transaction_id, [MeterSample(Measurand.ENERGY_IMPORT_KWH, 312.0, T0 + timedelta(minutes=15))]
    )
    schedule_id = await before.save_schedule(T0, "optimal", "optimal", 12.5, 0.2, 0.0, {"slots": [1, 2]})
    await before.add_site_sample(T0, 48.0, 60.0, 12.0, 24.0)
    charge_points = await before.list_charge_points()
    transaction = await before.get_transaction(transaction_id)
    await before.close()

    after = Store.from_url(database_url)
    await after.migrate()
    try:
        assert await after.list_charge_points() == charge_points
        assert await after.list_vehicles() == [vehicle]
        assert await after.current_bookings() == {"van-03": booking}
        assert await after.get_transaction(transaction_id) == transaction
        latest = await after.latest_schedule()
        assert latest is not None
        assert (latest.id, latest.body) == (schedule_id, {"slots": [1, 2]})
        [sample] = await after.site_samples(T0)
        assert (sample.ev_power_kw, sample.grid_import_kw, sample.pv_kw) == (48.0, 60.0, 12.0)
        # Retries arriving after the restart still find the rows written before it.
        assert await after.start_transaction("DC-05", 1, "TAG-1003", "van-03", 300.0, T0) == transaction_id
    finally:
        await after.close()
