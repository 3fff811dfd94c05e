"""OCPP 2.0.1 transactions, known by the charger's own id: exactly one row whatever the order of events;
a vehicle's ISO 15118 needs on its transaction; limits set on chargers by others."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fleet.persistence import ExternalLimitRecord, InvalidValueError, Store, VehicleClass, VehicleRecord
from fleet.persistence.records import TransactionRecord
from ocpp_server.events import EvChargingNeeds, Measurand, MeterSample

from .conftest import T0

CAR = VehicleRecord("car-01", "sharing", VehicleClass.CAR, "#1", "TAG-CAR-01", 60.0, 11.0, 85.0)


async def _transaction(store: Store, transaction_id: int) -> TransactionRecord:
    transaction = await store.get_transaction(transaction_id)
    assert transaction is not None
    return transaction


async def test_a_repeated_start_of_a_charger_transaction_gets_the_stored_id(store: Store) -> None:
    first = await store.start_transaction("AC-01", 1, "TAG-1", None, 10.0, T0, charger_transaction_id="tx-a")
    # Same charger transaction, even with another start time (a later event, offline history).
    again = await store.start_transaction(
        "AC-01", 1, "TAG-1", None, 10.5, T0 + timedelta(minutes=5), charger_transaction_id="tx-a"
    )
    other_charger = await store.start_transaction("AC-02", 1, "TAG-1", None, 10.0, T0, charger_transaction_id="tx-a")

    assert again == first
    assert other_charger != first
    stored = await _transaction(store, first)
    assert (stored.started_at, stored.meter_start_kwh, stored.charger_transaction_id) == (T0, 10.0, "tx-a")
    assert len(await store.list_transactions()) == 2


async def test_an_earlier_start_arriving_late_moves_the_start_back(store: Store) -> None:
    # The charger was offline: an Updated event (seen at 10:20, meter 14 kWh) came before the Started.
    seen_first = await store.start_transaction(
        "AC-01", 2, "TAG-1", None, 14.0, T0 + timedelta(minutes=20), charger_transaction_id="tx-b"
    )
    started = await store.start_transaction("AC-01", 1, "TAG-1", None, 10.0, T0, charger_transaction_id="tx-b")

    assert started == seen_first
    stored = await _transaction(store, seen_first)
    assert (stored.started_at, stored.meter_start_kwh, stored.connector_id) == (T0, 10.0, 1)


async def test_an_id_tag_learnt_later_fills_in_the_tag_and_its_vehicle(store: Store) -> None:
    await store.upsert_vehicles([CAR])
    without = await store.start_transaction("AC-01", 1, "", None, 10.0, T0, charger_transaction_id="tx-c")
    later = T0 + timedelta(minutes=1)
    with_tag = await store.start_transaction(
        "AC-01", 1, "TAG-CAR-01", "car-01", 10.2, later, charger_transaction_id="tx-c"
    )
    # A tag already stored is not replaced by another one.
    await store.start_transaction("AC-01", 1, "TAG-OTHER", None, 10.3, later, charger_transaction_id="tx-c")

    assert with_tag == without
    stored = await _transaction(store, without)
    assert (stored.id_tag, stored.vehicle_id, stored.started_at, stored.meter_start_kwh) == (
        "TAG-CAR-01",
        "car-01",
        T0,
        10.0,
    )


async def test_a_16_start_is_unchanged_and_still_needs_an_id_tag(store: Store) -> None:
    first = await store.start_transaction("AC-01", 1, "TAG-1", None, 10.0, T0)
    retried = await store.start_transaction("AC-01", 1, "TAG-1", None, 10.0, T0)
    later = await store.start_transaction("AC-01", 1, "TAG-1", None, 10.0, T0 + timedelta(seconds=1))

    assert retried == first
    assert later != first
    assert (await _transaction(store, first)).charger_transaction_id is None
    with pytest.raises(InvalidValueError, match="id_tag"):
        await store.start_transaction("AC-01", 1, "", None, 10.0, T0)


def _needs(connector_id: int = 1, energy_kwh: float | None = 24.0) -> EvChargingNeeds:
    return EvChargingNeeds(
        "AC-01",
        connector_id,
        "AC_three_phase",
        T0 + timedelta(minutes=1),
        departure_at=T0 + timedelta(hours=4),
        energy_amount_kwh=energy_kwh,
        max_power_kw=11.0,
        soc_percent=35.0,
        capacity_kwh=60.0,
    )


async def test_vehicle_needs_go_to_the_transaction_open_on_their_connector(store: Store) -> None:
    stopped = await store.start_transaction("AC-01", 1, "TAG-1", None, 1.0, T0 - timedelta(hours=3))
    await store.stop_transaction(stopped, 9.0, T0 - timedelta(hours=2), "EVDisconnected", [])
    open_id = await store.start_transaction("AC-01", 1, "TAG-2", None, 10.0, T0, charger_transaction_id="tx-d")
    await store.add_meter_samples(
        "AC-01", 1, open_id, [MeterSample(Measurand.ENERGY_IMPORT_KWH, 12.5, T0 + timedelta(seconds=30))]
    )

    assert await store.charger_inputs.record_ev_needs(_needs()) == open_id
    # The vehicle says it again, with less to charge: the new figures replace the old.
    assert await store.charger_inputs.record_ev_needs(_needs(energy_kwh=20.0)) == open_id

    needs = (await _transaction(store, open_id)).ev_needs
    assert needs is not None
    assert (needs.energy_amount_kwh, needs.max_power_kw, needs.register_at_report_kwh) == (20.0, 11.0, 12.5)
    assert needs.departure_at == T0 + timedelta(hours=4)
    [active] = await store.active_transactions()
    assert active.ev_needs == needs
    assert (await _transaction(store, stopped)).ev_needs is None


async def test_vehicle_needs_without_an_open_transaction_are_not_stored(store: Store) -> None:
    await store.start_transaction("AC-01", 2, "TAG-2", None, 10.0, T0)

    assert await store.charger_inputs.record_ev_needs(_needs(connector_id=1)) is None
    assert [t.ev_needs for t in await store.list_transactions()] == [None]


def _limit(connector_id: int, limit_kw: float, minutes: int = 0, source: str = "EMS") -> ExternalLimitRecord:
    return ExternalLimitRecord("AC-01", connector_id, source, limit_kw, False, T0 + timedelta(minutes=minutes))


async def test_a_limit_stands_until_cleared_and_a_late_one_does_not_undo_a_newer(store: Store) -> None:
    limits = store.charger_inputs
    assert await limits.set_external_limit(_limit(1, 7.4, minutes=10))
    assert not await limits.set_external_limit(_limit(1, 3.0, minutes=5))  # sent before, arrived after
    assert await limits.set_external_limit(_limit(1, 11.0, minutes=10, source="SO"))
    assert await limits.set_external_limit(_limit(2, 5.0, minutes=10))

    assert [(x.connector_id, x.source, x.limit_kw) for x in await limits.external_limits()] == [
        (1, "EMS", 7.4),
        (1, "SO", 11.0),
        (2, "EMS", 5.0),
    ]
    # A clear sent before the limit was set does not end it.
    assert await limits.clear_external_limit("AC-01", 1, "EMS", T0) == 0
    assert await limits.clear_external_limit("AC-01", 1, "EMS", T0 + timedelta(minutes=11)) == 1
    assert [(x.connector_id, x.source) for x in await limits.external_limits()] == [(1, "SO"), (2, "EMS")]


async def test_clearing_the_whole_station_ends_that_sources_limits_on_every_connector(store: Store) -> None:
    limits = store.charger_inputs
    for connector_id in (0, 1, 2):
        await limits.set_external_limit(_limit(connector_id, 7.0))
    await limits.set_external_limit(_limit(1, 9.0, source="SO"))

    assert await limits.clear_external_limit("AC-01", 0, "EMS", T0 + timedelta(minutes=1)) == 3
    assert [(x.connector_id, x.source) for x in await limits.external_limits()] == [(1, "SO")]


async def test_a_negative_limit_is_refused(store: Store) -> None:
    with pytest.raises(InvalidValueError, match="limit_kw"):
        await store.charger_inputs.set_external_limit(_limit(1, -1.0))
