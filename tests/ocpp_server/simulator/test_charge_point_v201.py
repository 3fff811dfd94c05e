"""Simulated OCPP 2.0.1 charge points against a 2.0.1 central system on loopback websockets.

The central system is the ``ocpp`` library's own v201 server role: it checks every request against
the 2.0.1 JSON schemas, as the charger checks what it sends. The clock runs 600 times faster than
real time: a simulated minute is 0.1 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ocpp.v201 import call

from ocpp_server.simulator.battery import SimVehicleSpec, VehicleBattery
from ocpp_server.simulator.charge_point import SimChargerSpec, SimulatedChargePoint
from ocpp_server.simulator.clock import ScaledClock

from .central_system import Received
from .central_system_v201 import CentralSystemV201

pytestmark = pytest.mark.timeout(30)

AC = SimChargerSpec("AC-2", "AC", 22.0, "A", 3, 230.0, 6.0, "Vettabbia", "SimAC22", ocpp_version="2.0.1")
DC = SimChargerSpec("DC-2", "DC", 50.0, "W", 3, 230.0, 0.0, "Vettabbia", "SimDC50", ocpp_version="2.0.1")
START = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)


def car(soc: float = 0.5) -> VehicleBattery:
    return VehicleBattery(SimVehicleSpec("car-1", "TAG-1", "car", 50.0, 11.0, 40.0, soc))


def charger(central: CentralSystemV201, spec: SimChargerSpec = AC) -> SimulatedChargePoint:
    return SimulatedChargePoint(
        spec,
        central.base_url,
        ScaledClock(START, 600),
        reconnect_initial_s=0.05,
        reconnect_max_s=0.2,
        response_timeout_s=5,
    )


@contextlib.asynccontextmanager
async def running(charge_point: SimulatedChargePoint) -> AsyncIterator[SimulatedChargePoint]:
    task = asyncio.create_task(charge_point.run())
    try:
        yield charge_point
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
async def central() -> AsyncIterator[CentralSystemV201]:
    async with CentralSystemV201(boot_interval_s=60) as system:
        yield system
    assert system.call_errors == []


async def online(central: CentralSystemV201, charge_point: SimulatedChargePoint) -> None:
    await central.wait_for("StatusNotification", charge_point.spec.charge_point_id)


def events(central: CentralSystemV201, charge_point_id: str) -> list[dict[str, Any]]:
    return [r.payload for r in central.messages("TransactionEvent", charge_point_id)]


async def started(central: CentralSystemV201, charge_point_id: str) -> str:
    """The transaction id of the first Started event, waiting for it."""
    event = await central.wait_for("TransactionEvent", charge_point_id)
    assert event.payload["event_type"] == "Started"
    transaction_id: str = event.payload["transaction_info"]["transaction_id"]
    return transaction_id


def sampled(event: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["measurand"]: v for v in event["meter_value"][0]["sampled_value"] if v.get("phase") is None}


def tx_profile(transaction_id: str, limit: float, unit: str = "W", profile_id: int = 10) -> dict[str, Any]:
    return {
        "id": profile_id,
        "stackLevel": 1,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "transactionId": transaction_id,
        "chargingSchedule": [
            {"id": 1, "chargingRateUnit": unit, "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}
        ],
    }


async def test_boot_retries_while_pending_then_reports_status_and_beats() -> None:
    async with CentralSystemV201(boot_statuses=["Pending"], boot_interval_s=60) as central:
        async with running(charger(central)) as charge_point:
            await central.wait_for("Heartbeat", AC.charge_point_id, 2)
            assert charge_point.connected
        assert central.call_errors == []
    boots = central.messages("BootNotification")
    assert len(boots) == 2
    assert boots[0].payload == {
        "reason": "PowerUp",
        "charging_station": {
            "model": "SimAC22",
            "vendor_name": "Vettabbia",
            "serial_number": "AC-2",
            "firmware_version": "vettabbia-sim-1",
        },
    }
    (status,) = central.messages("StatusNotification")  # one EVSE, one connector; no connector 0
    assert status.payload["connector_status"] == "Available"
    assert (status.payload["evse_id"], status.payload["connector_id"]) == (1, 1)
    assert status.payload["timestamp"].startswith("2024-05-01T")


async def test_a_session_is_a_started_updated_ended_series(central: CentralSystemV201) -> None:
    cp_id = AC.charge_point_id
    async with running(charger(central)) as charge_point:
        await online(central, charge_point)
        charge_point.plug_in(car())
        transaction_id = await started(central, cp_id)
        await central.wait_until(
            lambda: any(e["trigger_reason"] == "MeterValuePeriodic" for e in events(central, cp_id))
        )
        charge_point.unplug()
        await central.wait_until(lambda: events(central, cp_id)[-1]["event_type"] == "Ended")
        await central.wait_for("StatusNotification", cp_id, 3)

    series = events(central, cp_id)
    assert uuid.UUID(transaction_id)
    assert {e["transaction_info"]["transaction_id"] for e in series} == {transaction_id}
    assert [e["seq_no"] for e in series] == list(range(len(series)))
    assert not any(e.get("offline") for e in series)

    first, last = series[0], series[-1]
    assert first["trigger_reason"] == "CablePluggedIn"
    assert first["evse"] == {"id": 1, "connector_id": 1}
    assert first["id_token"] == {"id_token": "TAG-1", "type": "ISO14443"}
    assert sampled(first)["Energy.Active.Import.Register"]["context"] == "Transaction.Begin"
    assert sampled(first)["Energy.Active.Import.Register"]["unit_of_measure"] == {"unit": "Wh"}

    state_change = next(e for e in series if e["trigger_reason"] == "ChargingStateChanged")
    assert state_change["transaction_info"]["charging_state"] == "Charging"
    periodic = next(e for e in series if e["trigger_reason"] == "MeterValuePeriodic")
    values = sampled(periodic)
    assert values["Power.Active.Import"]["value"] == 11000.0
    assert values["Power.Active.Import"]["unit_of_measure"] == {"unit": "W"}
    assert values["SoC"]["unit_of_measure"] == {"unit": "Percent"}
    assert {v["context"] for v in values.values()} == {"Sample.Periodic"}

    assert (last["trigger_reason"], last["transaction_info"]["stopped_reason"]) == ("EVDeparted", "EVDisconnected")
    end_energy = sampled(last)["Energy.Active.Import.Register"]
    assert end_energy["context"] == "Transaction.End"
    assert end_energy["value"] > sampled(first)["Energy.Active.Import.Register"]["value"]
    assert [r.payload["connector_status"] for r in central.messages("StatusNotification")] == [
        "Available",
        "Occupied",
        "Available",
    ]


async def test_events_of_an_offline_charger_are_queued_and_marked_offline(central: CentralSystemV201) -> None:
    cp_id = AC.charge_point_id
    async with running(charger(central)) as charge_point:
        await online(central, charge_point)
        charge_point.plug_in(car())
        transaction_id = await started(central, cp_id)
        charge_point.cut_network()
        await central.wait_until(lambda: not central.is_connected(cp_id))
        online_count = len({e["seq_no"] for e in events(central, cp_id)})
        await asyncio.sleep(0.35)  # 3.5 simulated minutes of meter values
        charge_point.unplug()
        queued = len(charge_point.pending_messages)
        charge_point.restore_network()
        await central.wait_until(lambda: events(central, cp_id)[-1]["event_type"] == "Ended")

    # An event whose answer the cut cut off is sent again, with its number: the central system
    # drops the copy by seqNo.
    series = list({e["seq_no"]: e for e in events(central, cp_id)}.values())
    assert [e["seq_no"] for e in series] == list(range(len(series)))  # nothing lost
    # Events that happened once the connection was down say so; those already queued do not.
    first_offline = next(i for i, e in enumerate(series) if e.get("offline"))
    later = series[first_offline:]
    assert not any(e.get("offline") for e in series[:online_count])
    assert all(e.get("offline") is True for e in later)
    assert len(later) <= queued
    assert {e["transaction_info"]["transaction_id"] for e in later} == {transaction_id}
    assert later[-1]["event_type"] == "Ended"
    assert sum(e["trigger_reason"] == "MeterValuePeriodic" for e in later) >= 2
    assert len(central.messages("BootNotification")) == 1
    assert central.connects[cp_id] == 2


async def test_a_2_0_1_tx_profile_is_obeyed(central: CentralSystemV201) -> None:
    cp_id = AC.charge_point_id
    async with running(charger(central)) as charge_point:
        await online(central, charge_point)
        charge_point.plug_in(car())
        transaction_id = await started(central, cp_id)
        await central.wait_until(lambda: charge_point.power_kw > 0)
        assert charge_point.power_kw == pytest.approx(11.0)

        wrong = await central.request(cp_id, call.SetChargingProfile(1, tx_profile(str(uuid.uuid4()), 10.0, "A")))
        in_watts = await central.request(cp_id, call.SetChargingProfile(1, tx_profile(transaction_id, 5000.0)))
        assert (wrong.status, in_watts.status) == ("Rejected", "Rejected")  # this charger takes amps
        right = await central.request(cp_id, call.SetChargingProfile(1, tx_profile(transaction_id, 10.0, "A")))
        assert right.status == "Accepted"
        assert charge_point.power_kw == pytest.approx(6.9)
        await central.wait_until(
            lambda: any(e["trigger_reason"] == "ChargingRateChanged" for e in events(central, cp_id))
        )

        composite = await central.request(cp_id, call.GetCompositeSchedule(duration=600, evse_id=1))
        assert composite.status == "Accepted"
        schedule = composite.schedule
        assert (schedule["evse_id"], schedule["duration"], schedule["charging_rate_unit"]) == (1, 600, "A")
        assert [(p["start_period"], p["limit"]) for p in schedule["charging_schedule_period"]] == [(0, 10.0)]

        listed = await central.request(
            cp_id, call.GetChargingProfiles(request_id=7, charging_profile={"chargingProfilePurpose": "TxProfile"})
        )
        assert listed.status == "Accepted"
        report = await central.wait_for("ReportChargingProfiles", cp_id)
        (profile,) = report.payload["charging_profile"]
        assert (report.payload["request_id"], profile["id"], profile["transaction_id"]) == (7, 10, transaction_id)

        cleared = await central.request(
            cp_id, call.ClearChargingProfile(charging_profile_criteria={"chargingProfilePurpose": "TxProfile"})
        )
        assert cleared.status == "Accepted"
        assert charge_point.power_kw == pytest.approx(11.0)


async def test_a_dc_iso15118_charger_reports_the_vehicle_needs_and_its_schedule(central: CentralSystemV201) -> None:
    cp_id = DC.charge_point_id
    departure = START + timedelta(hours=3)
    async with running(charger(central, DC)) as charge_point:
        await online(central, charge_point)
        charge_point.plug_in(car(soc=0.4), departure)
        transaction_id = await started(central, cp_id)
        needs = (await central.wait_for("NotifyEVChargingNeeds", cp_id)).payload
        answer = await central.request(cp_id, call.SetChargingProfile(1, tx_profile(transaction_id, 30_000.0)))
        assert answer.status == "Accepted"
        chosen = (await central.wait_for("NotifyEVChargingSchedule", cp_id)).payload
        assert charge_point.power_kw == pytest.approx(30.0)

    assert needs["evse_id"] == 1
    charging_needs = needs["charging_needs"]
    assert charging_needs["requested_energy_transfer"] == "DC"
    assert charging_needs["departure_time"] == "2024-05-01T09:00:00.000Z"
    dc = charging_needs["dc_charging_parameters"]
    assert (dc["ev_max_power"], dc["ev_energy_capacity"], dc["full_soc"]) == (40_000, 50_000, 100)
    assert dc["state_of_charge"] == 40
    assert 29_000 < dc["energy_amount"] <= 30_000  # to full from 40 % of 50 kWh
    assert dc["ev_max_current"] == 100
    assert dc["ev_max_voltage"] == 450

    schedule = chosen["charging_schedule"]
    assert schedule["charging_rate_unit"] == "W"
    assert [p["limit"] for p in schedule["charging_schedule_period"]] == [30_000.0]
    assert 0 < schedule["duration"] <= 3 * 3600


async def test_device_model_variables_and_base_report(central: CentralSystemV201) -> None:
    cp_id = DC.charge_point_id
    async with running(charger(central, DC)) as charge_point:
        await online(central, charge_point)

        def variable(component: str, name: str, instance: str | None = None) -> dict[str, Any]:
            var: dict[str, Any] = {"name": name} | ({} if instance is None else {"instance": instance})
            return {"component": {"name": component}, "variable": var}

        got = await central.request(
            cp_id,
            call.GetVariables(
                get_variable_data=[
                    variable("OCPPCommCtrlr", "HeartbeatInterval"),
                    variable("SmartChargingCtrlr", "RateUnit"),
                    variable("SmartChargingCtrlr", "Entries", "ChargingProfiles"),
                    variable("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables"),
                    variable("SecurityCtrlr", "BasicAuthPassword"),
                    variable("ISO15118Ctrlr", "SeccId"),
                    variable("NoSuchCtrlr", "Enabled"),
                    variable("SmartChargingCtrlr", "NoSuchVariable"),
                ]
            ),
        )
        results = [(r["attribute_status"], r.get("attribute_value")) for r in got.get_variable_result]
        assert results == [
            ("Accepted", "60"),
            ("Accepted", "W"),
            ("Accepted", "0"),
            ("Accepted", "20"),
            ("Rejected", None),
            ("Accepted", "DC-2"),
            ("UnknownComponent", None),
            ("UnknownVariable", None),
        ]

        def setting(component: str, name: str, value: str) -> dict[str, Any]:
            return variable(component, name) | {"attributeValue": value}

        set_answer = await central.request(
            cp_id,
            call.SetVariables(
                set_variable_data=[
                    setting("SampledDataCtrlr", "TxUpdatedInterval", "30"),
                    setting("OCPPCommCtrlr", "HeartbeatInterval", "soon"),
                    setting("SmartChargingCtrlr", "PeriodsPerSchedule", "5"),
                    setting("SecurityCtrlr", "BasicAuthPassword", "a-long-enough-secret"),
                    setting("NoSuchCtrlr", "Enabled", "true"),
                ]
            ),
        )
        statuses = [r["attribute_status"] for r in set_answer.set_variable_result]
        assert statuses == ["Accepted", "Rejected", "Rejected", "Accepted", "UnknownComponent"]
        interval = await central.request(
            cp_id, call.GetVariables(get_variable_data=[variable("SampledDataCtrlr", "TxUpdatedInterval")])
        )
        assert interval.get_variable_result[0]["attribute_value"] == "30"
        measurands = await central.request(
            cp_id,
            call.SetVariables(
                set_variable_data=[
                    setting("SampledDataCtrlr", "TxUpdatedMeasurands", "Energy.Active.Import.Register,SoC"),
                    setting("SampledDataCtrlr", "TxUpdatedMeasurands", "Voltage"),
                ]
            ),
        )
        assert [r["attribute_status"] for r in measurands.set_variable_result] == ["Accepted", "Rejected"]
        charge_point.plug_in(car())
        await central.wait_until(
            lambda: any(e["trigger_reason"] == "MeterValuePeriodic" for e in events(central, cp_id))
        )
        periodic = next(e for e in events(central, cp_id) if e["trigger_reason"] == "MeterValuePeriodic")
        assert set(sampled(periodic)) == {"Energy.Active.Import.Register", "SoC"}

        report = await central.request(cp_id, call.GetBaseReport(request_id=3, report_base="FullInventory"))
        assert report.status == "Accepted"
        await central.wait_until(lambda: any(not r.payload.get("tbc") for r in central.messages("NotifyReport", cp_id)))
    parts = [r.payload for r in central.messages("NotifyReport", cp_id)]
    assert [p["seq_no"] for p in parts] == list(range(len(parts)))
    assert len(parts) == 3
    assert all(p["tbc"] is True for p in parts[:-1])
    assert "tbc" not in parts[-1]
    entries = [e for p in parts for e in p["report_data"]]
    names = {(e["component"]["name"], e["variable"]["name"]) for e in entries}
    assert ("ISO15118Ctrlr", "SeccId") in names
    assert ("OCPPCommCtrlr", "HeartbeatInterval") in names
    password = next(e for e in entries if e["variable"]["name"] == "BasicAuthPassword")
    assert password["variable_attribute"] == [{"type": "Actual", "mutability": "WriteOnly"}]


async def test_remote_start_stop_and_triggers(central: CentralSystemV201) -> None:
    cp_id = AC.charge_point_id
    async with running(charger(central)) as charge_point:
        await online(central, charge_point)
        charge_point.plug_in(car())
        transaction_id = await started(central, cp_id)

        stop = await central.request(cp_id, call.RequestStopTransaction(transaction_id=transaction_id))
        assert stop.status == "Accepted"
        await central.wait_until(lambda: events(central, cp_id)[-1]["event_type"] == "Ended")
        ended = events(central, cp_id)[-1]
        assert (ended["trigger_reason"], ended["transaction_info"]["stopped_reason"]) == ("RemoteStop", "Remote")
        unknown = await central.request(cp_id, call.RequestStopTransaction(transaction_id=transaction_id))
        assert unknown.status == "Rejected"
        status = await central.request(cp_id, call.GetTransactionStatus(transaction_id=transaction_id))
        assert (status.ongoing_indicator, status.messages_in_queue) == (False, False)

        start = await central.request(
            cp_id, call.RequestStartTransaction(id_token={"idToken": "OPERATOR", "type": "Central"}, remote_start_id=42)
        )
        assert start.status == "Accepted"
        await central.wait_until(lambda: events(central, cp_id)[-1]["event_type"] == "Started")
        second = events(central, cp_id)[-1]
        assert second["trigger_reason"] == "RemoteStart"
        assert second["transaction_info"]["remote_start_id"] == 42
        assert second["id_token"] == {"id_token": "OPERATOR", "type": "Central"}

        unlock = await central.request(cp_id, call.UnlockConnector(evse_id=1, connector_id=1))
        assert unlock.status == "OngoingAuthorizedTransaction"
        marker = Received(cp_id, "marker", {})
        central.record(marker)
        for message in ("MeterValues", "TransactionEvent", "StatusNotification", "Heartbeat", "BootNotification"):
            answer = await central.request(cp_id, call.TriggerMessage(requested_message=message))
            assert answer.status == "Accepted", message
        signed = await central.request(cp_id, call.TriggerMessage(requested_message="SignV2GCertificate"))
        assert signed.status == "NotImplemented"
        await central.wait_for("BootNotification", cp_id, 2)
        # Heartbeats and transaction events also come on their own (every simulated minute, on changes).
        triggered = [
            r
            for r in central.received[central.received.index(marker) + 1 :]
            if r.action != "Heartbeat" and r.payload.get("trigger_reason", "Trigger") == "Trigger"
        ]
        assert [r.action for r in triggered] == [
            "MeterValues",
            "TransactionEvent",
            "StatusNotification",
            "BootNotification",
        ]
        assert triggered[1].payload["trigger_reason"] == "Trigger"
        assert triggered[2].payload["connector_status"] == "Occupied"
        assert triggered[3].payload["reason"] == "Triggered"
        transfer = await central.request(cp_id, call.DataTransfer(vendor_id="acme"))
        assert transfer.status == "UnknownVendorId"

        reset = await central.request(cp_id, call.Reset(type="Immediate"))
        assert reset.status == "Accepted"
        await central.wait_for("BootNotification", cp_id, 3)
    reset_end = next(e for e in reversed(events(central, cp_id)) if e["event_type"] == "Ended")
    assert reset_end["transaction_info"]["stopped_reason"] == "ImmediateReset"
    assert central.messages("BootNotification", cp_id)[-1].payload["reason"] == "RemoteReset"


async def test_availability_local_list_and_empty_answers(central: CentralSystemV201) -> None:
    cp_id = AC.charge_point_id
    async with running(charger(central)) as charge_point:
        await online(central, charge_point)
        down = await central.request(cp_id, call.ChangeAvailability(operational_status="Inoperative"))
        assert down.status == "Accepted"
        await central.wait_for("StatusNotification", cp_id, 2)
        up = await central.request(
            cp_id, call.ChangeAvailability(operational_status="Operative", evse={"id": 1, "connectorId": 1})
        )
        assert up.status == "Accepted"
        await central.wait_for("StatusNotification", cp_id, 3)

        entry = {"idToken": {"idToken": "TAG-9", "type": "ISO14443"}, "idTokenInfo": {"status": "Accepted"}}
        sent = await central.request(
            cp_id, call.SendLocalList(version_number=3, update_type="Full", local_authorization_list=[entry])
        )
        stale = await central.request(cp_id, call.SendLocalList(version_number=2, update_type="Differential"))
        version = await central.request(cp_id, call.GetLocalListVersion())
        assert (sent.status, stale.status, version.version_number) == ("Accepted", "VersionMismatch", 3)

        no_profiles = await central.request(cp_id, call.GetChargingProfiles(request_id=1, charging_profile={}))
        summary = await central.request(cp_id, call.GetBaseReport(request_id=2, report_base="SummaryInventory"))
        unlock = await central.request(cp_id, call.UnlockConnector(evse_id=1, connector_id=1))
        elsewhere = await central.request(cp_id, call.UnlockConnector(evse_id=2, connector_id=1))
        assert (no_profiles.status, summary.status) == ("NoProfiles", "EmptyResultSet")
        assert (unlock.status, elsewhere.status) == ("Unlocked", "UnknownConnector")
    statuses = [r.payload["connector_status"] for r in central.messages("StatusNotification", cp_id)]
    assert statuses == ["Available", "Unavailable", "Available"]
