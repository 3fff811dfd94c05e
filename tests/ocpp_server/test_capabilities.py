"""A charger's capabilities: read with GetConfiguration after boot and reconnect, tolerant of vendors."""

from __future__ import annotations

import pytest
from ocpp.v16 import call

from ocpp_server.capabilities import CAPABILITY_KEYS, parse_configuration
from ocpp_server.central_system import CentralSystem
from ocpp_server.commands import RateUnit
from ocpp_server.events import CapabilitiesReported
from tests.ocpp_server.support import AC_BOOT, NOW, RecordingSink, charger, fixed_now, running, until

WALLBOX = {
    "SupportedFeatureProfiles": "Core,FirmwareManagement,SmartCharging,RemoteTrigger",
    "ChargeProfileMaxStackLevel": "8",
    "ChargingScheduleAllowedChargingRateUnit": "Current",
    "ChargingScheduleMaxPeriods": "24",
    "MaxChargingProfilesInstalled": "10",
    "MeterValueSampleInterval": "60",
    "NumberOfConnectors": "2",
    "ConnectorPhaseRotation": "0.RST,1.RST,2.RTS",
    "AuthorizationKey": "********",
}


def test_every_key_is_read_into_its_field() -> None:
    capabilities = parse_configuration(WALLBOX, ["LocalAuthListMaxLength"], NOW)

    assert capabilities.smart_charging is True
    assert capabilities.feature_profiles == frozenset({"Core", "FirmwareManagement", "SmartCharging", "RemoteTrigger"})
    assert capabilities.max_stack_level == 8
    assert capabilities.allowed_rate_units == frozenset({RateUnit.AMPS})
    assert capabilities.max_schedule_periods == 24
    assert capabilities.max_profiles_installed == 10
    assert capabilities.meter_value_sample_interval_s == 60
    assert capabilities.number_of_connectors == 2
    assert capabilities.connector_phase_rotation == "0.RST,1.RST,2.RTS"
    assert capabilities.authorization_key_set is True
    assert capabilities.local_auth_list_max_length is None
    assert capabilities.unknown_keys == ("LocalAuthListMaxLength",)
    assert capabilities.problems == ()
    assert capabilities.read_at == NOW


@pytest.mark.parametrize(
    ("written", "units"),
    [
        ("Current,Power", {RateUnit.AMPS, RateUnit.WATTS}),
        ("Current, Power", {RateUnit.AMPS, RateUnit.WATTS}),
        (" power ; current ", {RateUnit.AMPS, RateUnit.WATTS}),
        ("Power", {RateUnit.WATTS}),
        ("W", {RateUnit.WATTS}),
    ],
)
def test_rate_units_are_read_however_the_vendor_writes_the_list(written: str, units: set[RateUnit]) -> None:
    capabilities = parse_configuration({"ChargingScheduleAllowedChargingRateUnit": written}, [], NOW)
    assert capabilities.allowed_rate_units == frozenset(units)


def test_unreadable_values_are_named_and_left_unknown() -> None:
    capabilities = parse_configuration(
        {
            "chargeprofilemaxstacklevel": "5.0",  # keys are case-insensitive, integers written as decimals
            "ChargingScheduleMaxPeriods": "lots",
            "MaxChargingProfilesInstalled": "-1",
            "ChargingScheduleAllowedChargingRateUnit": "Ampere",
            "SupportedFeatureProfiles": "Core, RemoteTrigger",
            "AuthorizationKey": "",
        },
        [],
        NOW,
    )

    assert capabilities.max_stack_level == 5
    assert capabilities.max_schedule_periods is None
    assert capabilities.max_profiles_installed is None
    assert capabilities.allowed_rate_units is None
    assert capabilities.smart_charging is False
    assert capabilities.authorization_key_set is False
    assert capabilities.problems == (
        "ChargingScheduleAllowedChargingRateUnit='Ampere'",
        "ChargingScheduleMaxPeriods='lots'",
        "MaxChargingProfilesInstalled='-1'",
    )


def test_a_charger_that_says_nothing_leaves_everything_unknown() -> None:
    capabilities = parse_configuration({}, [], NOW)
    assert capabilities.smart_charging is None
    assert capabilities.max_stack_level is None
    assert capabilities.authorization_key_set is None


async def test_capabilities_are_read_after_an_accepted_boot_and_reported_without_the_key() -> None:
    sink = RecordingSink()
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, charger(url, "CP1") as cp:
        cp.configuration = dict(WALLBOX)
        await cp.call(call.BootNotification(charge_point_model="AC22", charge_point_vendor="Acme"))
        failsafe = await cp.next_profile()
        await until("the capabilities reported", lambda: sink.of_type(CapabilitiesReported))
        held = central.capabilities("CP1")

    assert cp.configuration_requests == [list(CAPABILITY_KEYS)]
    [reported] = sink.of_type(CapabilitiesReported)
    assert reported.charge_point_id == "CP1"
    assert reported.capabilities == held
    assert reported.capabilities.max_schedule_periods == 24
    assert "AuthorizationKey" not in reported.configuration
    assert reported.configuration["ChargingScheduleMaxPeriods"] == "24"
    assert failsafe.profile["charging_profile_purpose"] == "TxDefaultProfile"


async def test_capabilities_are_read_again_when_a_known_charger_reconnects() -> None:
    sink = RecordingSink(resume={"CP1": AC_BOOT})
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url:
        for stack_level in ("3", "4"):
            async with charger(url, "CP1") as cp:
                cp.configuration = {**WALLBOX, "ChargeProfileMaxStackLevel": stack_level}
                # The read comes first: the fail-safe is checked against what it says.
                await cp.next_profile()

    levels = [event.capabilities.max_stack_level for event in sink.of_type(CapabilitiesReported)]
    assert levels == [3, 4]


async def test_a_charger_without_get_configuration_still_gets_its_failsafe() -> None:
    sink = RecordingSink()
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, charger(url, "CP1") as cp:
        await cp.call(call.BootNotification(charge_point_model="AC22", charge_point_vendor="Acme"))
        failsafe = await cp.next_profile()

    assert cp.configuration_requests == [list(CAPABILITY_KEYS)]
    assert sink.of_type(CapabilitiesReported) == []
    assert central.capabilities("CP1") is None
    assert failsafe.profile["charging_schedule"]["charging_schedule_period"] == [
        {"start_period": 0, "limit": 6.6, "number_phases": 3}
    ]
