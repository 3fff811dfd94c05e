"""Every SetChargingProfile is checked against the charger's reported capabilities before it is sent."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ocpp.v16 import call

from ocpp_server.capabilities import ChargerCapabilities, parse_configuration
from ocpp_server.central_system import CentralSystem
from ocpp_server.commands import CommandStatus, PowerLimitProfile, PowerPeriod, ProfilePurpose, RateUnit
from ocpp_server.events import ChargerNotice, NoticeKind
from ocpp_server.profile_checks import payload_problems, prepare_profile
from tests.ocpp_server.support import AC_22KW, DC_50KW, NOW, RecordingSink, charger, fixed_now, running, until

PLAN = PowerLimitProfile(
    profile_id=1001,
    purpose=ProfilePurpose.TX,
    stack_level=1,
    connector_id=1,
    start_utc=datetime(2025, 6, 2, 10, 0, tzinfo=UTC),
    duration_s=3600,
    periods=(PowerPeriod(0, 11.0), PowerPeriod(900, 7.0), PowerPeriod(1800, 22.0), PowerPeriod(2700, 4.6)),
    transaction_id=7,
)
"""Four periods: 15.9 A, 10.1 A, 31.8 A, 6.6 A on 3 x 230 V."""

SMART = {
    "SupportedFeatureProfiles": "Core,SmartCharging",
    "ChargeProfileMaxStackLevel": "5",
    "ChargingScheduleAllowedChargingRateUnit": "Current,Power",
    "ChargingScheduleMaxPeriods": "96",
    "NumberOfConnectors": "1",
}


def caps(**changes: str) -> ChargerCapabilities:
    return parse_configuration({**SMART, **changes}, [], NOW)


def limits(payload: dict[str, Any]) -> list[float]:
    return [p["limit"] for p in payload["charging_schedule"]["charging_schedule_period"]]


def test_a_profile_that_fits_is_sent_as_converted() -> None:
    prepared = prepare_profile(PLAN, AC_22KW, caps())
    assert prepared.refusal is None
    assert prepared.payload is not None
    assert limits(prepared.payload) == [15.9, 10.1, 31.8, 6.6]


def test_without_capabilities_only_the_profile_itself_is_checked() -> None:
    assert prepare_profile(PLAN, AC_22KW, None).payload is not None
    negative = replace(PLAN, periods=(PowerPeriod(0, -1.0),))
    prepared = prepare_profile(negative, AC_22KW, None)
    assert prepared.payload is None
    assert prepared.refusal == "inconsistent profile: limit_kw must be a finite number >= 0, got -1.0"


def test_a_charger_that_allows_only_watts_gets_watts() -> None:
    prepared = prepare_profile(PLAN, AC_22KW, caps(ChargingScheduleAllowedChargingRateUnit="Power"))
    assert prepared.payload is not None
    schedule = prepared.payload["charging_schedule"]
    assert schedule["charging_rate_unit"] == "W"
    assert limits(prepared.payload) == [11000.0, 7000.0, 22000.0, 4600.0]
    assert all("number_phases" not in p for p in schedule["charging_schedule_period"])


def test_a_charger_that_allows_only_amps_gets_amps() -> None:
    prepared = prepare_profile(PLAN, DC_50KW, caps(ChargingScheduleAllowedChargingRateUnit="Current"))
    assert prepared.payload is not None
    assert prepared.payload["charging_schedule"]["charging_rate_unit"] == "A"
    # 11 kW on 3 x 400 V is 9.16 A; DC_50KW has no minimum current.
    assert limits(prepared.payload)[0] == 9.1


def test_the_reported_max_periods_is_respected_keeping_the_lower_limits() -> None:
    prepared = prepare_profile(PLAN, AC_22KW, caps(ChargingScheduleMaxPeriods="2"), max_periods=3)
    assert prepared.payload is not None
    assert len(limits(prepared.payload)) == 2
    assert max(limits(prepared.payload)) <= 15.9
    # The site file's value applies when it is the lower one.
    site_lower = prepare_profile(PLAN, AC_22KW, caps(ChargingScheduleMaxPeriods="96"), max_periods=3)
    assert site_lower.payload is not None
    assert len(limits(site_lower.payload)) == 3


def test_a_stack_level_above_the_charger_maximum_is_refused() -> None:
    prepared = prepare_profile(PLAN, AC_22KW, caps(ChargeProfileMaxStackLevel="0"))
    assert prepared.payload is None
    assert prepared.refusal == "stack level 1 above ChargeProfileMaxStackLevel 0"


def test_a_charger_without_smart_charging_gets_no_profile() -> None:
    prepared = prepare_profile(PLAN, AC_22KW, caps(SupportedFeatureProfiles="Core,RemoteTrigger"))
    assert prepared.payload is None
    assert (
        prepared.refusal == "the charger does not support SmartCharging (SupportedFeatureProfiles: Core,RemoteTrigger)"
    )


def test_a_connector_the_charger_does_not_have_is_refused() -> None:
    prepared = prepare_profile(replace(PLAN, connector_id=2), AC_22KW, caps())
    assert prepared.refusal == "connector 2 above NumberOfConnectors 1"


def test_payload_rules_on_phases_min_rate_and_periods() -> None:
    payload: dict[str, Any] = {
        "stack_level": 9,
        "charging_schedule": {
            "charging_rate_unit": "A",
            "min_charging_rate": 40.0,
            "charging_schedule_period": [
                {"start_period": 10, "limit": 16.0, "number_phases": 4},
                {"start_period": 5, "limit": -2.0},
            ],
        },
    }
    assert payload_problems(payload, caps(ChargingScheduleMaxPeriods="1"), alternating_current=False) == [
        "stack level 9 above ChargeProfileMaxStackLevel 5",
        "2 periods above ChargingScheduleMaxPeriods 1",
        "the first period must start at 0",
        "period 0: numberPhases 4 must be 1, 2 or 3",
        "period 0: numberPhases is for AC chargers only",
        "period 1: limit -2.0 must be a number >= 0",
        "period 1: starts no later than the period before",
        "minChargingRate 40.0 must be between 0 and the highest limit 16.0",
    ]


async def test_tc_057_central_smart_charging_tx_profile_fitted_to_max_periods() -> None:
    central = CentralSystem(RecordingSink(), fixed_now)
    async with running(central) as url, charger(url, "CP1") as cp:
        cp.configuration = {**SMART, "ChargingScheduleMaxPeriods": "2"}
        await cp.call(call.BootNotification(charge_point_model="AC22", charge_point_vendor="Acme"))
        await cp.next_profile()
        result = await central.set_charging_profile("CP1", PLAN, AC_22KW, max_periods=96)
        received = await cp.next_profile()

    assert result.ok
    periods = received.profile["charging_schedule"]["charging_schedule_period"]
    assert len(periods) == 2


async def test_tc_056_central_smart_charging_tx_default_profile_in_watts_for_a_watts_only_charger() -> None:
    central = CentralSystem(RecordingSink(), fixed_now)
    async with running(central) as url, charger(url, "CP1") as cp:
        cp.configuration = {**SMART, "ChargingScheduleAllowedChargingRateUnit": "Power"}
        await cp.call(call.BootNotification(charge_point_model="AC22", charge_point_vendor="Acme"))
        failsafe = await cp.next_profile()

    assert failsafe.profile["charging_profile_purpose"] == "TxDefaultProfile"
    assert failsafe.profile["charging_schedule"] == {
        "charging_rate_unit": "W",
        "charging_schedule_period": [{"start_period": 0, "limit": 4600.0}],
    }


async def test_a_stack_level_too_high_is_refused_before_sending_and_logged() -> None:
    sink = RecordingSink()
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, charger(url, "CP1") as cp:
        cp.configuration = {**SMART, "ChargeProfileMaxStackLevel": "0"}
        await cp.call(call.BootNotification(charge_point_model="AC22", charge_point_vendor="Acme"))
        await cp.next_profile()  # the fail-safe, at stack level 0, fits
        result = await central.set_charging_profile("CP1", PLAN, AC_22KW)

    assert result.status is CommandStatus.NOT_SENT
    assert result.detail == "stack level 1 above ChargeProfileMaxStackLevel 0"
    assert cp.profiles.empty()
    [notice] = sink.of_type(ChargerNotice)
    assert (notice.kind, notice.status, notice.request_id) == (NoticeKind.CHARGING_PROFILE, "NotSent", 1001)
    assert notice.detail == "TxProfile 1001 on connector 1: stack level 1 above ChargeProfileMaxStackLevel 0"


async def test_a_charger_without_smart_charging_is_sent_no_profile_at_all() -> None:
    sink = RecordingSink()
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, charger(url, "CP1") as cp:
        cp.configuration = {**SMART, "SupportedFeatureProfiles": "Core"}
        await cp.call(call.BootNotification(charge_point_model="AC22", charge_point_vendor="Acme"))
        await until("the fail-safe refused", lambda: sink.of_type(ChargerNotice))
        result = await central.set_charging_profile("CP1", PLAN, AC_22KW)

    assert result.status is CommandStatus.NOT_SENT
    assert cp.profiles.empty()
    notices = sink.of_type(ChargerNotice)
    assert [(n.status, n.request_id) for n in notices] == [("NotSent", 1), ("NotSent", 1001)]
    assert all("does not support SmartCharging" in (n.detail or "") for n in notices)


async def test_a_profile_sent_during_the_capabilities_read_waits_for_it() -> None:
    central = CentralSystem(RecordingSink(), fixed_now)
    async with running(central) as url, charger(url, "CP1") as cp:
        cp.configuration = {**SMART, "ChargingScheduleAllowedChargingRateUnit": "Power"}
        await cp.call(call.BootNotification(charge_point_model="AC22", charge_point_vendor="Acme"))
        result = await central.set_charging_profile("CP1", PLAN, AC_22KW)
        received = [await cp.next_profile(), await cp.next_profile()]

    assert result.ok
    assert {r.profile["charging_schedule"]["charging_rate_unit"] for r in received} == {RateUnit.WATTS.value}
