"""One simulated charge point against a real OCPP 1.6 central system on loopback websockets.

The clock runs 600 times faster than real time: a simulated minute is 0.1 s.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from ocpp.v16 import call

from ocpp_server.simulator.battery import SimVehicleSpec, VehicleBattery
from ocpp_server.simulator.charge_point import SimChargerSpec, SimulatedChargePoint
from ocpp_server.simulator.clock import ScaledClock
from ocpp_server.simulator.outbox import StartTransactionOut, StopTransactionOut

from .central_system import CentralSystem, Received

pytestmark = pytest.mark.timeout(30)

AC = SimChargerSpec("AC-1", "AC", 22.0, "A", 3, 230.0, 6.0, "Vettabbia", "SimAC22")
START = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)


def car(vehicle_id: str = "car-1", id_tag: str = "TAG-1", soc: float = 0.5) -> VehicleBattery:
    return VehicleBattery(SimVehicleSpec(vehicle_id, id_tag, "car", 50.0, 11.0, 50.0, soc))


def charger(central: CentralSystem) -> SimulatedChargePoint:
    return SimulatedChargePoint(
        AC,
        central.base_url,
        ScaledClock(START, 600),
        reconnect_initial_s=0.05,
        reconnect_max_s=0.2,
        response_timeout_s=5,
    )


@contextlib.asynccontextmanager
async def running(charge_point: SimulatedChargePoint) -> AsyncIterator[None]:
    task = asyncio.create_task(charge_point.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
async def central() -> AsyncIterator[CentralSystem]:
    async with CentralSystem(boot_interval_s=60) as system:
        yield system


@pytest.fixture
async def online(central: CentralSystem) -> AsyncIterator[SimulatedChargePoint]:
    """A charge point that has booted and reported its status."""
    charge_point = charger(central)
    async with running(charge_point):
        await central.wait_for("StatusNotification", AC.charge_point_id, 2)
        yield charge_point


async def plug_and_start(central: CentralSystem, charge_point: SimulatedChargePoint) -> int:
    """Plug a car in; return the transaction id the central system assigned."""
    charge_point.plug_in(car())
    started = await central.wait_for("StartTransaction", AC.charge_point_id)
    await central.wait_until(lambda: charge_point.transaction_id is not None)
    transaction_id: int = started.payload["assigned_transaction_id"]
    return transaction_id


def tx_profile(transaction_id: int | None, limit: float, unit: str = "A", profile_id: int = 10) -> dict[str, Any]:
    profile: dict[str, Any] = {
        "chargingProfileId": profile_id,
        "stackLevel": 1,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {"chargingRateUnit": unit, "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]},
    }
    if transaction_id is not None:
        profile["transactionId"] = transaction_id
    return profile


def actions_after(central: CentralSystem, marker: Received) -> list[str]:
    index = central.received.index(marker)
    return [r.action for r in central.received[index + 1 :] if r.action != "Heartbeat"]


async def test_boot_retries_while_pending_then_reports_status_and_beats() -> None:
    async with CentralSystem(boot_statuses=["Pending", "Rejected"], boot_interval_s=60) as central:
        charge_point = charger(central)
        async with running(charge_point):
            await central.wait_for("Heartbeat", AC.charge_point_id, 2)
            assert charge_point.connected
    boots = central.messages("BootNotification")
    assert len(boots) == 3
    assert boots[0].payload == {"charge_point_vendor": "Vettabbia", "charge_point_model": "SimAC22"}
    assert [r.action for r in central.received[:3]] == ["BootNotification"] * 3
    first_statuses = central.messages("StatusNotification")[:2]
    assert [(s.payload["connector_id"], s.payload["status"]) for s in first_statuses] == [
        (0, "Available"),
        (1, "Available"),
    ]
    assert first_statuses[0].payload["timestamp"].startswith("2024-05-01T")


async def test_cancelling_closes_the_websocket(central: CentralSystem) -> None:
    charge_point = charger(central)
    async with running(charge_point):
        await central.wait_for("StatusNotification", AC.charge_point_id, 2)
        assert central.is_connected(AC.charge_point_id)
    await central.wait_until(lambda: not central.is_connected(AC.charge_point_id))
    assert not charge_point.connected


async def test_tx_profile_is_applied_to_the_running_transaction_only(
    central: CentralSystem, online: SimulatedChargePoint
) -> None:
    cp_id = AC.charge_point_id
    answer = await central.request(cp_id, call.SetChargingProfile(1, tx_profile(None, 10.0)))
    assert answer.status == "Rejected"  # no transaction yet
    transaction_id = await plug_and_start(central, online)
    assert online.power_kw == pytest.approx(11.0)
    wrong = await central.request(cp_id, call.SetChargingProfile(1, tx_profile(transaction_id + 1, 10.0)))
    in_watts = await central.request(cp_id, call.SetChargingProfile(1, tx_profile(transaction_id, 5000.0, "W")))
    assert (wrong.status, in_watts.status) == ("Rejected", "Rejected")
    right = await central.request(cp_id, call.SetChargingProfile(1, tx_profile(transaction_id, 10.0)))
    assert right.status == "Accepted"
    assert online.power_kw == pytest.approx(6.9)

    composite = await central.request(cp_id, call.GetCompositeSchedule(connector_id=1, duration=3600))
    assert composite.status == "Accepted"
    schedule = composite.charging_schedule
    assert schedule["charging_rate_unit"] == "A"
    assert [(p["start_period"], float(p["limit"])) for p in schedule["charging_schedule_period"]] == [(0, 10.0)]
    in_w = await central.request(cp_id, call.GetCompositeSchedule(connector_id=1, duration=600, charging_rate_unit="W"))
    assert [float(p["limit"]) for p in in_w.charging_schedule["charging_schedule_period"]] == [6900.0]

    cleared = await central.request(cp_id, call.ClearChargingProfile(id=10))
    again = await central.request(cp_id, call.ClearChargingProfile(id=10))
    assert (cleared.status, again.status) == ("Accepted", "Unknown")
    assert online.power_kw == pytest.approx(11.0)


async def test_charge_point_max_profile_caps_power(central: CentralSystem, online: SimulatedChargePoint) -> None:
    await plug_and_start(central, online)
    cp_max = {
        "chargingProfileId": 1,
        "stackLevel": 0,
        "chargingProfilePurpose": "ChargePointMaxProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 8.0}]},
    }
    on_connector = await central.request(AC.charge_point_id, call.SetChargingProfile(1, cp_max))
    on_station = await central.request(AC.charge_point_id, call.SetChargingProfile(0, cp_max))
    assert (on_connector.status, on_station.status) == ("Rejected", "Accepted")
    assert online.power_kw == pytest.approx(5.52)


async def test_configuration_keys(central: CentralSystem, online: SimulatedChargePoint) -> None:
    cp_id = AC.charge_point_id
    answer = await central.request(cp_id, call.GetConfiguration(key=["heartbeatinterval", "NoSuchKey"]))
    assert answer.configuration_key == [{"key": "HeartbeatInterval", "readonly": False, "value": "60"}]
    assert answer.unknown_key == ["NoSuchKey"]
    everything = await central.request(cp_id, call.GetConfiguration())
    values = {entry["key"]: entry["value"] for entry in everything.configuration_key}
    assert values["ChargingScheduleAllowedChargingRateUnit"] == "Current"
    assert values["MeterValueSampleInterval"] == "60"

    async def change(key: str, value: str) -> str:
        result = await central.request(cp_id, call.ChangeConfiguration(key=key, value=value))
        status: str = result.status
        return status

    assert await change("MeterValueSampleInterval", "30") == "Accepted"
    assert await change("MeterValueSampleInterval", "soon") == "Rejected"
    assert await change("NumberOfConnectors", "2") == "Rejected"
    assert await change("NoSuchKey", "1") == "NotSupported"
    after = await central.request(cp_id, call.GetConfiguration(key=["MeterValueSampleInterval"]))
    assert after.configuration_key[0]["value"] == "30"


async def test_meter_values_carry_energy_power_current_and_soc(
    central: CentralSystem, online: SimulatedChargePoint
) -> None:
    transaction_id = await plug_and_start(central, online)
    await central.wait_for("MeterValues", AC.charge_point_id, 3)
    begin, periodic = central.messages("MeterValues")[:2]
    assert begin.payload["transaction_id"] == transaction_id
    begin_values = begin.payload["meter_value"][0]["sampled_value"]
    assert {v["context"] for v in begin_values} == {"Transaction.Begin"}
    values = {(v["measurand"], v.get("phase")): v for v in periodic.payload["meter_value"][0]["sampled_value"]}
    assert set(values) == {
        ("Energy.Active.Import.Register", None),
        ("Power.Active.Import", None),
        ("Current.Import", "L1"),
        ("Current.Import", "L2"),
        ("Current.Import", "L3"),
        ("SoC", None),
    }
    assert values[("Power.Active.Import", None)]["value"] == "11000.0"
    assert values[("Power.Active.Import", None)]["unit"] == "W"
    assert values[("Current.Import", "L1")]["value"] == "15.9"
    assert float(values[("Energy.Active.Import.Register", None)]["value"]) > 0
    assert values[("SoC", None)]["context"] == "Sample.Periodic"


async def test_transaction_messages_are_queued_offline_and_delivered_in_order(
    central: CentralSystem, online: SimulatedChargePoint
) -> None:
    cp_id = AC.charge_point_id
    first_id = await plug_and_start(central, online)
    await central.go_down(cp_id)
    await central.wait_until(lambda: not online.connected)
    online.unplug()
    online.plug_in(car("car-2", "TAG-2"))
    queued = online.pending_messages
    assert [type(m) for m in queued if isinstance(m, StartTransactionOut | StopTransactionOut)] == [
        StopTransactionOut,
        StartTransactionOut,
    ]
    received_before = len(central.received)
    central.refuse_connections = False
    second = await central.wait_for("StartTransaction", cp_id, 2)
    await central.wait_until(
        lambda: any(
            m.payload.get("transaction_id") == second.payload["assigned_transaction_id"]
            for m in central.messages("MeterValues")
        )
    )

    after = [r for r in central.received[received_before:] if r.action != "Heartbeat"]
    assert [r.action for r in after[:2]] == ["StatusNotification", "StatusNotification"]
    assert [r.payload["connector_id"] for r in after[:2]] == [0, 1]
    tx_actions = [r for r in after if r.action in ("StartTransaction", "StopTransaction")]
    assert [r.action for r in tx_actions] == ["StopTransaction", "StartTransaction"]
    assert tx_actions[0].payload["transaction_id"] == first_id
    assert tx_actions[0].payload["reason"] == "EVDisconnected"
    assert tx_actions[1].payload["id_tag"] == "TAG-2"
    assert len(central.messages("BootNotification")) == 1
    assert central.connects[cp_id] == 2


async def test_refused_transaction_messages_are_retried(central: CentralSystem, online: SimulatedChargePoint) -> None:
    await plug_and_start(central, online)
    central.failures["StopTransaction"] = 2
    online.unplug()
    await central.wait_for("StopTransaction", AC.charge_point_id, 3)
    await central.wait_until(lambda: not online.pending_messages)
    stops = central.messages("StopTransaction")
    assert len(stops) == 3
    assert stops[0].payload == stops[2].payload


async def test_a_transaction_message_refused_too_often_is_dropped(
    central: CentralSystem, online: SimulatedChargePoint
) -> None:
    await plug_and_start(central, online)
    central.failures["StopTransaction"] = 10
    online.unplug()
    await central.wait_until(lambda: not online.pending_messages)
    assert len(central.messages("StopTransaction")) == 3  # TransactionMessageAttempts


async def test_remote_stop_and_remote_start(central: CentralSystem, online: SimulatedChargePoint) -> None:
    cp_id = AC.charge_point_id
    transaction_id = await plug_and_start(central, online)
    busy = await central.request(cp_id, call.RemoteStartTransaction(id_tag="OPERATOR", connector_id=1))
    wrong = await central.request(cp_id, call.RemoteStopTransaction(transaction_id=transaction_id + 1))
    assert (busy.status, wrong.status) == ("Rejected", "Rejected")
    stop = await central.request(cp_id, call.RemoteStopTransaction(transaction_id=transaction_id))
    assert stop.status == "Accepted"
    stopped = await central.wait_for("StopTransaction", cp_id)
    assert stopped.payload["reason"] == "Remote"
    assert online.status == "Finishing"
    no_such_connector = await central.request(cp_id, call.RemoteStartTransaction(id_tag="OTHER", connector_id=2))
    assert no_such_connector.status == "Rejected"
    start = await central.request(
        cp_id,
        call.RemoteStartTransaction(id_tag="OPERATOR", connector_id=1, charging_profile=tx_profile(None, 8.0)),
    )
    assert start.status == "Accepted"
    restarted = await central.wait_for("StartTransaction", cp_id, 2)
    assert restarted.payload["id_tag"] == "OPERATOR"
    assert restarted.payload["meter_start"] == stopped.payload["meter_stop"]
    assert online.power_kw == pytest.approx(5.52)  # the TxProfile that came with the request


async def test_soft_reset_stops_the_transaction_and_boots_again(
    central: CentralSystem, online: SimulatedChargePoint
) -> None:
    cp_id = AC.charge_point_id
    await plug_and_start(central, online)
    answer = await central.request(cp_id, call.Reset(type="Soft"))
    assert answer.status == "Accepted"
    stopped = await central.wait_for("StopTransaction", cp_id)
    assert stopped.payload["reason"] == "SoftReset"
    await central.wait_for("BootNotification", cp_id, 2)
    restarted = await central.wait_for("StartTransaction", cp_id, 2)
    assert restarted.payload["id_tag"] == "TAG-1"
    after_stop = actions_after(central, stopped)
    assert after_stop.index("BootNotification") < after_stop.index("StartTransaction")
    assert central.connects[cp_id] == 2


async def test_trigger_message(central: CentralSystem, online: SimulatedChargePoint) -> None:
    cp_id = AC.charge_point_id
    await plug_and_start(central, online)
    statuses_before = len(central.messages("StatusNotification", cp_id))
    status = await central.request(cp_id, call.TriggerMessage(requested_message="StatusNotification", connector_id=1))
    assert status.status == "Accepted"
    triggered = await central.wait_for("StatusNotification", cp_id, statuses_before + 1)
    assert (triggered.payload["connector_id"], triggered.payload["status"]) == (1, "Charging")

    meter = await central.request(cp_id, call.TriggerMessage(requested_message="MeterValues", connector_id=1))
    assert meter.status == "Accepted"
    await central.wait_until(
        lambda: any(
            v["context"] == "Trigger"
            for m in central.messages("MeterValues", cp_id)
            for v in m.payload["meter_value"][0]["sampled_value"]
        )
    )
    diagnostics = await central.request(cp_id, call.TriggerMessage(requested_message="DiagnosticsStatusNotification"))
    assert diagnostics.status == "Accepted"
    reported = await central.wait_for("DiagnosticsStatusNotification", cp_id)
    assert reported.payload == {"status": "Idle"}
    no_such = await central.request(cp_id, call.TriggerMessage(requested_message="Heartbeat", connector_id=5))
    assert no_such.status == "Rejected"


async def test_unlock_connector_stops_the_transaction(central: CentralSystem, online: SimulatedChargePoint) -> None:
    cp_id = AC.charge_point_id
    await plug_and_start(central, online)
    other = await central.request(cp_id, call.UnlockConnector(connector_id=2))
    unlocked = await central.request(cp_id, call.UnlockConnector(connector_id=1))
    assert (other.status, unlocked.status) == ("NotSupported", "Unlocked")
    stopped = await central.wait_for("StopTransaction", cp_id)
    assert stopped.payload["reason"] == "UnlockCommand"


async def test_a_refused_id_tag_ends_the_transaction() -> None:
    async with CentralSystem(id_tag_status="Invalid") as central:
        charge_point = charger(central)
        async with running(charge_point):
            charge_point.plug_in(car())
            stopped = await central.wait_for("StopTransaction", AC.charge_point_id)
    assert stopped.payload["reason"] == "DeAuthorized"
    assert charge_point.power_kw == 0.0


def test_a_base_url_that_is_not_a_websocket_url_is_refused() -> None:
    with pytest.raises(ValueError, match="base_url"):
        SimulatedChargePoint(AC, "http://127.0.0.1:9000", ScaledClock(START, 1))
