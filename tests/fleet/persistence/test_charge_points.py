"""Charge points and connectors: what the OCPP edge reports, in whatever order it arrives."""

from __future__ import annotations

from datetime import timedelta

from fleet.persistence import ConnectorRecord, Store

from .conftest import T0


async def test_connection_boot_and_statuses_make_up_the_charge_point(store: Store) -> None:
    await store.record_connection("DC-01", "1.6", True, T0)
    await store.record_boot("DC-01", "Alpitronic", "HYC50", "SN-1", "1.4.2", T0 + timedelta(seconds=1))
    await store.record_connector_status("DC-01", 2, "Preparing", "NoError", T0 + timedelta(seconds=3))
    await store.record_connector_status("DC-01", 1, "Available", "NoError", T0 + timedelta(seconds=2))

    [charge_point] = await store.list_charge_points()

    assert (charge_point.id, charge_point.vendor, charge_point.model) == ("DC-01", "Alpitronic", "HYC50")
    assert (charge_point.serial_number, charge_point.firmware_version) == ("SN-1", "1.4.2")
    assert charge_point.ocpp_version == "1.6"
    assert charge_point.connected
    assert charge_point.connected_at == T0
    assert charge_point.booted_at == T0 + timedelta(seconds=1)
    assert charge_point.last_seen_at == T0 + timedelta(seconds=3)
    assert charge_point.connectors == (
        ConnectorRecord(1, "Available", "NoError", T0 + timedelta(seconds=2)),
        ConnectorRecord(2, "Preparing", "NoError", T0 + timedelta(seconds=3)),
    )


async def test_a_status_older_than_the_stored_one_is_ignored(store: Store) -> None:
    await store.record_connector_status("AC-07", 1, "Charging", "NoError", T0 + timedelta(minutes=5))
    await store.record_connector_status("AC-07", 1, "Preparing", "NoError", T0)

    [charge_point] = await store.list_charge_points()

    assert charge_point.connectors == (ConnectorRecord(1, "Charging", "NoError", T0 + timedelta(minutes=5)),)
    assert charge_point.last_seen_at == T0 + timedelta(minutes=5)


async def test_a_status_from_an_unknown_charge_point_creates_it_disconnected(store: Store) -> None:
    await store.record_connector_status("AC-99", 0, "Faulted", "GroundFailure", T0)

    [charge_point] = await store.list_charge_points()

    assert (charge_point.id, charge_point.connected, charge_point.vendor) == ("AC-99", False, None)
    assert charge_point.connectors == (ConnectorRecord(0, "Faulted", "GroundFailure", T0),)


async def test_disconnecting_keeps_when_it_connected(store: Store) -> None:
    await store.record_connection("DC-02", "2.0.1", True, T0)
    await store.record_connection("DC-02", "2.0.1", False, T0 + timedelta(hours=1))

    [charge_point] = await store.list_charge_points()

    assert not charge_point.connected
    assert charge_point.connected_at == T0
    assert charge_point.last_seen_at == T0 + timedelta(hours=1)


async def test_start_up_marks_disconnected_only_those_connected_before_it(store: Store) -> None:
    await store.record_connection("AC-01", "1.6", True, T0)
    await store.record_connection("AC-02", "1.6", True, T0 + timedelta(minutes=1))
    await store.record_connection("AC-03", "1.6", False, T0)
    await store.record_connection("AC-04", "1.6", True, T0 + timedelta(minutes=10))

    marked = await store.mark_all_disconnected(T0 + timedelta(minutes=5))

    assert marked == 2
    connected = {cp.id: cp.connected for cp in await store.list_charge_points()}
    assert connected == {"AC-01": False, "AC-02": False, "AC-03": False, "AC-04": True}


async def test_the_boot_time_of_one_charge_point_is_read_alone(store: Store) -> None:
    await store.record_connection("AC-01", "1.6", True, T0)
    await store.record_connection("DC-01", "1.6", True, T0)
    await store.record_boot("DC-01", "Alpitronic", "HYC50", "SN-1", "1.4.2", T0 + timedelta(seconds=1))

    assert await store.charge_point_booted_at("DC-01") == T0 + timedelta(seconds=1)
    assert await store.charge_point_booted_at("AC-01") is None
    assert await store.charge_point_booted_at("NEVER-SEEN") is None


async def test_the_ocpp_version_of_one_charge_point_is_read_alone(store: Store) -> None:
    await store.record_connection("AC-01", "1.6", True, T0)
    await store.record_connection("DC-01", "2.0.1", True, T0)
    await store.record_connection("DC-01", "2.1", True, T0 + timedelta(minutes=1))  # came back with 2.1

    assert await store.charge_point_ocpp_version("AC-01") == "1.6"
    assert await store.charge_point_ocpp_version("DC-01") == "2.1"
    assert await store.charge_point_ocpp_version("NEVER-SEEN") is None
