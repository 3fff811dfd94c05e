"""Transactions: exactly-once start and stop, listing, and the energy delivered."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from fleet.persistence import Store, UnknownVehicleError, VehicleClass, VehicleRecord
from ocpp_server.events import Measurand, MeterSample

from .conftest import T0

ROME_WINTER = timezone(timedelta(hours=1))


async def test_a_retried_start_gets_the_same_transaction_id(store: Store) -> None:
    first = await store.start_transaction("AC-01", 1, "TAG-0001", None, 1000.0, T0)
    # The retry may spell the same instant in another zone.
    retried = await store.start_transaction("AC-01", 1, "TAG-0001", None, 1000.0, T0.astimezone(ROME_WINTER))
    later = await store.start_transaction("AC-01", 1, "TAG-0001", None, 1000.0, T0 + timedelta(seconds=1))

    assert retried == first
    assert later != first
    assert [t.id for t in await store.list_transactions()] == [later, first]


async def test_a_start_for_an_unknown_vehicle_is_refused(store: Store) -> None:
    with pytest.raises(UnknownVehicleError, match="car-77"):
        await store.start_transaction("AC-01", 1, "TAG-0077", "car-77", 1000.0, T0)

    assert await store.list_transactions() == []


async def test_a_start_names_the_vehicle_it_resolved(store: Store) -> None:
    await store.upsert_vehicles([VehicleRecord("car-01", "sharing", VehicleClass.CAR, "#1", "T1", 42, 11, 85)])

    transaction_id = await store.start_transaction("AC-01", 2, "T1", "car-01", 5.5, T0)

    transaction = await store.get_transaction(transaction_id)
    assert transaction is not None
    assert (transaction.vehicle_id, transaction.connector_id, transaction.meter_start_kwh) == ("car-01", 2, 5.5)


async def test_stopping_twice_keeps_the_first_stop(store: Store) -> None:
    transaction_id = await store.start_transaction("DC-01", 1, "TAG-1001", None, 1000.0, T0)

    assert await store.stop_transaction(transaction_id, 1012.5, T0 + timedelta(hours=1), "EVDisconnected", [])
    assert await store.stop_transaction(transaction_id, 1020.0, T0 + timedelta(hours=2), "Local", [])

    transaction = await store.get_transaction(transaction_id)
    assert transaction is not None
    assert (transaction.meter_stop_kwh, transaction.stop_reason) == (1012.5, "EVDisconnected")
    assert transaction.stopped_at == T0 + timedelta(hours=1)
    assert transaction.energy_kwh == 12.5
    assert not transaction.is_active


async def test_stopping_an_unknown_transaction_returns_false(store: Store) -> None:
    sample = MeterSample(Measurand.ENERGY_IMPORT_KWH, 10.0, T0)

    assert not await store.stop_transaction(4242, 10.0, T0, None, [sample])
    assert await store.get_transaction(4242) is None


async def test_active_and_stopped_transactions_are_listed_apart(store: Store) -> None:
    ids = [
        await store.start_transaction(f"AC-0{n}", 1, f"TAG-000{n}", None, 100.0 * n, T0 + timedelta(minutes=n))
        for n in range(1, 5)
    ]
    await store.stop_transaction(ids[1], 250.0, T0 + timedelta(hours=1), None, [])

    active = await store.active_transactions()
    stopped = await store.list_transactions(active=False)
    newest_two = await store.list_transactions(limit=2)
    next_two = await store.list_transactions(limit=2, offset=2)

    assert [t.id for t in active] == [ids[3], ids[2], ids[0]]
    assert all(t.is_active for t in active)
    assert [(t.id, t.energy_kwh) for t in stopped] == [(ids[1], 50.0)]
    assert [t.id for t in newest_two + next_two] == ids[::-1]


async def test_energy_so_far_comes_from_the_latest_register(store: Store) -> None:
    transaction_id = await store.start_transaction("AC-01", 1, "TAG-0001", None, 2000.0, T0)
    fresh = await store.get_transaction(transaction_id)
    samples = [MeterSample(Measurand.ENERGY_IMPORT_KWH, 2003.25, T0 + timedelta(minutes=15))]
    await store.add_meter_samples("AC-01", 1, transaction_id, samples)

    running = await store.get_transaction(transaction_id)

    assert fresh is not None
    assert fresh.energy_kwh == 0.0
    assert running is not None
    assert running.energy_kwh == 3.25
