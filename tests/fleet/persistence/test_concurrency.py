"""Many coroutines writing at once: every write lands, and retries still collapse to one row."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fleet.persistence import Store
from ocpp_server.events import Measurand, MeterSample

from .conftest import T0

WRITERS = 50


async def test_writes_from_fifty_coroutines_all_land(store: Store) -> None:
    async def charge(n: int) -> int:
        charge_point_id = f"AC-{n:02d}"
        transaction_id = await store.start_transaction(charge_point_id, 1, f"TAG-{n:04d}", None, 0.0, T0)
        samples = [
            MeterSample(Measurand.ENERGY_IMPORT_KWH, float(minute), T0 + timedelta(minutes=minute))
            for minute in (1, 2, 3)
        ]
        await store.add_meter_samples(charge_point_id, 1, transaction_id, samples)
        await store.record_connector_status(charge_point_id, 1, "Charging", "NoError", T0)
        await store.add_site_sample(T0 + timedelta(seconds=n), float(n), None, None, None)
        return transaction_id

    ids = await asyncio.gather(*(charge(n) for n in range(WRITERS)))

    assert len(set(ids)) == WRITERS
    transactions = await store.active_transactions()
    assert sorted(t.id for t in transactions) == sorted(ids)
    assert {t.last_energy_register_kwh for t in transactions} == {3.0}
    for transaction_id in ids:
        assert len(await store.meter_series(transaction_id, Measurand.ENERGY_IMPORT_KWH)) == 3
    assert len(await store.list_charge_points()) == WRITERS
    assert [s.ev_power_kw for s in await store.site_samples(T0)] == [float(n) for n in range(WRITERS)]


async def test_fifty_simultaneous_retries_of_one_start_make_one_transaction(store: Store) -> None:
    ids = await asyncio.gather(
        *(store.start_transaction("DC-01", 1, "TAG-1001", None, 700.0, T0) for _ in range(WRITERS))
    )

    assert len(set(ids)) == 1
    assert len(await store.list_transactions()) == 1


async def test_fifty_simultaneous_copies_of_one_batch_are_stored_once(store: Store) -> None:
    transaction_id = await store.start_transaction("DC-02", 1, "TAG-1002", None, 0.0, T0)
    batch = [MeterSample(Measurand.POWER_IMPORT_KW, 45.0 + n, T0 + timedelta(seconds=n)) for n in range(10)]

    stored = await asyncio.gather(*(store.add_meter_samples("DC-02", 1, transaction_id, batch) for _ in range(WRITERS)))

    assert sum(stored) == len(batch)
    transaction = await store.get_transaction(transaction_id)
    assert transaction is not None
    assert transaction.last_power_kw == 54.0
