"""Vehicles, their id tags and their bookings (the newest booking of a vehicle is the current one)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from fleet.persistence import (
    IdTagConflictError,
    InvalidValueError,
    Store,
    UnknownVehicleError,
    VehicleClass,
    VehicleRecord,
)

from .conftest import T0

CAR = VehicleRecord("car-01", "sharing", VehicleClass.CAR, "Fiat 500e #1", "TAG-0001", 42.0, 11.0, 85.0)
VAN = VehicleRecord("van-01", "logistics", VehicleClass.VAN, "e-Ducato #1", "TAG-1001", 79.0, 22.0, 50.0)


async def test_vehicles_are_inserted_then_updated_by_id(store: Store) -> None:
    await store.upsert_vehicles([VAN, CAR])
    renamed = dataclasses.replace(CAR, name="Fiat 500e #1 (new battery)", battery_kwh=44.0)
    await store.upsert_vehicles([renamed])

    assert await store.list_vehicles() == [renamed, VAN]
    assert await store.vehicle_by_id_tag("TAG-1001") == VAN
    assert await store.vehicle_by_id_tag("TAG-9999") is None


async def test_an_id_tag_held_by_another_vehicle_is_refused(store: Store) -> None:
    await store.upsert_vehicles([CAR])
    thief = dataclasses.replace(VAN, id_tag=CAR.id_tag)

    with pytest.raises(IdTagConflictError, match="TAG-0001"):
        await store.upsert_vehicles([thief])

    assert await store.list_vehicles() == [CAR]


async def test_a_batch_repeating_an_id_is_refused(store: Store) -> None:
    with pytest.raises(InvalidValueError, match=r"vehicles\.id: given more than once"):
        await store.upsert_vehicles([CAR, dataclasses.replace(CAR, id_tag="TAG-0002")])


def test_a_vehicle_with_an_empty_battery_is_refused() -> None:
    with pytest.raises(InvalidValueError, match=r"battery_kwh of vehicle 'car-01': must be > 0"):
        dataclasses.replace(CAR, battery_kwh=0.0)


async def test_the_latest_booking_of_each_vehicle_is_current(store: Store) -> None:
    await store.upsert_vehicles([CAR, VAN])
    departure = T0 + timedelta(hours=8)
    await store.add_booking("car-01", departure, 20.0, 1.0, created_at=T0)
    newest = await store.add_booking("car-01", departure + timedelta(hours=1), 25.0, 2.0, T0 + timedelta(hours=2))
    await store.add_booking("car-01", departure, 30.0, 1.0, created_at=T0 + timedelta(hours=1))
    van_booking = await store.add_booking("van-01", departure, 60.0, 3.0, created_at=T0)

    current = await store.current_bookings()

    assert current == {"car-01": newest, "van-01": van_booking}
    assert (newest.energy_needed_kwh, newest.priority, newest.departure_at) == (
        25.0,
        2.0,
        departure + timedelta(hours=1),
    )


async def test_a_booking_for_an_unknown_vehicle_is_refused(store: Store) -> None:
    with pytest.raises(UnknownVehicleError, match="car-77"):
        await store.add_booking("car-77", T0 + timedelta(hours=8), 20.0, 1.0, created_at=T0)

    assert await store.current_bookings() == {}


async def test_the_site_file_adds_each_vehicle_once_then_the_api_owns_it(store: Store) -> None:
    assert await store.add_site_file_vehicles([CAR, VAN]) == ["car-01", "van-01"]
    # the API renames the car and deletes the van; a restart must not undo either
    renamed = dataclasses.replace(CAR, name="Fiat 500e #1 (wrapped)")
    await store.upsert_vehicles([renamed])
    assert await store.fleet.delete_vehicle("van-01")
    assert await store.add_site_file_vehicles([CAR, VAN]) == []
    assert await store.list_vehicles() == [renamed]
    # a vehicle new in the site file joins; one whose id the API already uses keeps the API's record
    own = VehicleRecord("car-02", "sharing", VehicleClass.CAR, "API's own", "TAG-0002", 42.0, 11.0, 85.0)
    await store.upsert_vehicles([own])
    newcomer = VehicleRecord("car-03", "sharing", VehicleClass.CAR, "Fiat 500e #3", "TAG-0003", 42.0, 11.0, 85.0)
    from_file = dataclasses.replace(own, name="site file's")
    assert await store.add_site_file_vehicles([CAR, from_file, newcomer]) == ["car-03"]
    assert [v.name for v in await store.list_vehicles()] == ["Fiat 500e #1 (wrapped)", "API's own", "Fiat 500e #3"]
