"""Block B (provisioning) of a 2.0.1 station, over real websockets: boot, device model, sampling."""

from __future__ import annotations

from typing import Any

from ocpp.v201 import call

from ocpp_server.central_system import CentralSystem
from ocpp_server.commands import ConnectorElectrical, RateUnit
from ocpp_server.events import CapabilitiesReported, ChargerBooted, ChargerConnected, OcppVersion
from ocpp_server.ports import BootDecision
from tests.ocpp_server.support import NOW, RecordingSink, fixed_now, running, until
from tests.ocpp_server.v201.station import station

ACCEPTED = BootDecision(
    accepted=True,
    heartbeat_interval_s=300,
    electrical={1: ConnectorElectrical(RateUnit.WATTS, phases=3, max_power_kw=50.0)},
    failsafe_limit_kw=11.0,
)
PENDING = BootDecision(accepted=False, heartbeat_interval_s=60, electrical={}, failsafe_limit_kw=0.0, pending=True)
REJECTED = BootDecision(accepted=False, heartbeat_interval_s=120, electrical={}, failsafe_limit_kw=0.0)

BOOT = call.BootNotification(
    charging_station={"model": "DC50", "vendor_name": "Vettabbia", "serial_number": "S-1", "firmware_version": "1.2"},
    reason="PowerUp",
)


async def test_tc_b_01_an_accepted_boot_reads_the_device_model_sets_sampling_and_installs_the_failsafe() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        answer = await cs.call(BOOT)
        failsafe = await cs.next_profile()
        await until("the capabilities", lambda: sink.of_type(CapabilitiesReported))

    assert answer.status == "Accepted"
    assert answer.interval == 300
    assert sink.events[0] == ChargerConnected("CS1", OcppVersion.V201, NOW)
    assert sink.of_type(ChargerBooted) == [ChargerBooted("CS1", "Vettabbia", "DC50", "S-1", "1.2", NOW)]
    # The limits first, alone; then the rest in batches of the station's ItemsPerMessage (4).
    assert [len(request) for request in cs.get_variable_requests] == [4, 4, 2]
    # One SetVariables per item (ItemsPerMessage 1): the sampling the control loop needs.
    assert [(r[0]["variable"]["name"], r[0]["attribute_value"]) for r in cs.set_variable_requests] == [
        ("TxUpdatedInterval", "60"),
        ("TxUpdatedMeasurands", "Energy.Active.Import.Register,Power.Active.Import,SoC"),
    ]
    capabilities = sink.of_type(CapabilitiesReported)[0].capabilities
    assert capabilities.smart_charging is True
    assert capabilities.allowed_rate_units == frozenset({RateUnit.AMPS, RateUnit.WATTS})
    assert capabilities.max_schedule_periods == 24
    assert capabilities.max_stack_level == 8
    profile = failsafe["charging_profile"]
    assert failsafe["evse_id"] == 0
    assert profile["charging_profile_purpose"] == "TxDefaultProfile"
    schedule: dict[str, Any] = profile["charging_schedule"][0]
    assert schedule["charging_rate_unit"] == "W"
    assert [float(p["limit"]) for p in schedule["charging_schedule_period"]] == [11000.0]


async def test_tc_b_02_a_pending_station_gets_security_errors_except_for_what_may_be_triggered() -> None:
    sink = RecordingSink(boot=PENDING)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        answer = await cs.call(BOOT)
        heartbeat = await cs.send_frame("Heartbeat", {}, "h1")
        authorize = await cs.send_frame("Authorize", {"idToken": {"idToken": "ok1", "type": "ISO14443"}}, "a1")

    assert answer.status == "Pending"
    assert answer.interval == 60
    assert heartbeat[0] == 3
    assert authorize[:3] == [4, "a1", "SecurityError"]
    assert sink.of_type(CapabilitiesReported) == []


async def test_tc_b_03_a_rejected_station_may_only_boot_again() -> None:
    sink = RecordingSink(boot=REJECTED)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        answer = await cs.call(BOOT)
        heartbeat = await cs.send_frame("Heartbeat", {}, "h1")

    assert answer.status == "Rejected"
    assert answer.interval == 120
    assert heartbeat[:3] == [4, "h1", "SecurityError"]


async def test_a_notify_report_in_parts_becomes_the_station_device_model() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)

    def part(seq_no: int, tbc: bool, variable: str, value: str) -> call.NotifyReport:
        return call.NotifyReport(
            request_id=7,
            generated_at="2026-03-02T08:00:00Z",
            seq_no=seq_no,
            tbc=tbc,
            report_data=[
                {
                    "component": {"name": "SmartChargingCtrlr"},
                    "variable": {"name": variable},
                    "variable_attribute": [{"type": "Actual", "value": value}],
                }
            ],
        )

    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        await cs.call(part(1, False, "PeriodsPerSchedule", "24"))
        assert central.device_model("CS1") is None
        await cs.call(part(0, True, "Enabled", "true"))
        model = central.device_model("CS1")

    assert model is not None
    assert model.actual("SmartChargingCtrlr", "Enabled") == "true"
    assert model.actual("SmartChargingCtrlr", "PeriodsPerSchedule") == "24"
    # The application hears the report as the station's configuration, after the boot's own read.
    [reported] = [r for r in sink.of_type(CapabilitiesReported) if "DeviceDataCtrlr" not in str(r.configuration)]
    assert reported.configuration == {
        "SmartChargingCtrlr.Enabled": "true",
        "SmartChargingCtrlr.PeriodsPerSchedule": "24",
    }
    assert reported.capabilities.max_schedule_periods == 24
