"""Block K (smart charging) of a 2.0.1 station, over real websockets, ISO 15118 needs included."""

from __future__ import annotations

from datetime import UTC, datetime

from ocpp.v201 import call

from ocpp_server.central_system import CentralSystem
from ocpp_server.commands import (
    CommandStatus,
    ConnectorElectrical,
    PowerLimitProfile,
    PowerPeriod,
    ProfilePurpose,
    RateUnit,
)
from ocpp_server.events import ChargerNotice, EvChargingNeeds, ExternalChargingLimit, NoticeKind, TransactionStarted
from tests.ocpp_server.support import NOW, RecordingSink, fixed_now, running, until
from tests.ocpp_server.v201.station import station
from tests.ocpp_server.v201.test_b_provisioning import ACCEPTED, BOOT
from tests.ocpp_server.v201.test_e_transactions import T0, event, meter

DC = ConnectorElectrical(RateUnit.WATTS, phases=3, max_power_kw=50.0)


def tx_profile(transaction_id: int, limits_kw: tuple[float, ...]) -> PowerLimitProfile:
    return PowerLimitProfile(
        profile_id=501,
        purpose=ProfilePurpose.TX,
        stack_level=2,
        connector_id=1,
        start_utc=NOW,
        duration_s=900 * len(limits_kw),
        periods=tuple(PowerPeriod(900 * index, limit) for index, limit in enumerate(limits_kw)),
        transaction_id=transaction_id,
    )


async def test_tc_k_15118_needs_reach_the_application_and_the_plan_goes_out_as_a_tx_profile() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        await cs.next_profile()  # the fail-safe
        await cs.call(event("Started", 0, T0, evse={"id": 1}, meter_value=[meter(T0, 0.0)]))
        needs = await cs.call(
            call.NotifyEVChargingNeeds(
                evse_id=1,
                charging_needs={
                    "requested_energy_transfer": "DC",
                    "departure_time": "2025-06-02T16:00:00Z",
                    "dc_charging_parameters": {
                        "ev_max_current": 125,
                        "ev_max_voltage": 400,
                        "energy_amount": 42_000,
                        "ev_max_power": 45_000,
                        "state_of_charge": 35,
                        "ev_energy_capacity": 75_000,
                        "full_soc": 100,
                    },
                },
            )
        )
        transaction_id = sink.of_type(TransactionStarted)[0]
        assert transaction_id.charger_transaction_id == "tx-A"
        result = await central.set_charging_profile("CS1", tx_profile(1001, (40.0, 22.5)), DC)
        sent = await cs.next_profile()
        chosen = await cs.call(
            call.NotifyEVChargingSchedule(
                time_base="2025-06-02T10:00:00Z",
                evse_id=1,
                charging_schedule={
                    "id": 1,
                    "charging_rate_unit": "W",
                    "charging_schedule_period": [{"start_period": 0, "limit": 38_000.0}],
                },
            )
        )
        await until("the schedule notice", lambda: sink.of_type(ChargerNotice))

    assert needs.status == "Accepted"
    assert sink.of_type(EvChargingNeeds) == [
        EvChargingNeeds(
            charge_point_id="CS1",
            connector_id=1,
            requested_energy_transfer="DC",
            at=NOW,
            departure_at=datetime(2025, 6, 2, 16, tzinfo=UTC),
            energy_amount_kwh=42.0,
            max_power_kw=45.0,
            max_current_a=125,
            max_voltage_v=400,
            soc_percent=35,
            capacity_kwh=75.0,
            full_soc_percent=100,
        )
    ]
    assert result.status is CommandStatus.ACCEPTED
    profile = sent["charging_profile"]
    assert sent["evse_id"] == 1
    assert profile["transaction_id"] == "tx-A"
    assert profile["charging_profile_purpose"] == "TxProfile"
    periods = profile["charging_schedule"][0]["charging_schedule_period"]
    assert [(p["start_period"], float(p["limit"])) for p in periods] == [(0, 40_000.0), (900, 22_500.0)]
    assert chosen.status == "Accepted"
    notice = sink.of_type(ChargerNotice)[0]
    assert (notice.kind, notice.status) == (NoticeKind.EV_CHARGING_SCHEDULE, "Within")


async def test_tc_k_needs_with_no_transaction_are_rejected() -> None:
    sink = RecordingSink(boot=ACCEPTED, ev_needs_accepted=False)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        answer = await cs.call(
            call.NotifyEVChargingNeeds(
                evse_id=2,
                charging_needs={
                    "requested_energy_transfer": "AC_three_phase",
                    "ac_charging_parameters": {
                        "energy_amount": 10_000,
                        "ev_min_current": 6,
                        "ev_max_current": 16,
                        "ev_max_voltage": 400,
                    },
                },
            )
        )

    assert answer.status == "Rejected"
    needs = sink.of_type(EvChargingNeeds)[0]
    # 16 A on three phases at the connector's 230 V.
    assert needs.max_power_kw is not None
    assert abs(needs.max_power_kw - 11.04) < 1e-9
    assert (needs.energy_amount_kwh, needs.min_current_a, needs.departure_at) == (10.0, 6, None)


async def test_a_tx_profile_for_a_transaction_the_station_never_reported_is_not_sent() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        await cs.next_profile()
        result = await central.set_charging_profile("CS1", tx_profile(77, (11.0,)), DC)

    assert result.status is CommandStatus.NOT_SENT
    assert "transaction 77" in result.detail
    assert cs.profiles.empty()


async def test_a_profile_above_the_station_periods_per_schedule_is_merged_to_fit() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        cs.variables[("SmartChargingCtrlr", "PeriodsPerSchedule", None)] = "2"
        await cs.call(BOOT)
        await cs.next_profile()
        await cs.call(event("Started", 0, T0, evse={"id": 1}))
        result = await central.set_charging_profile("CS1", tx_profile(1001, (40.0, 30.0, 20.0, 10.0)), DC)
        sent = await cs.next_profile()

    assert result.ok
    periods = sent["charging_profile"]["charging_schedule"][0]["charging_schedule_period"]
    assert len(periods) == 2


async def test_tc_k_external_limits_and_their_end_reach_the_application() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        await cs.call(
            call.NotifyChargingLimit(
                charging_limit={"charging_limit_source": "SO", "is_grid_critical": True},
                evse_id=0,
                charging_schedule=[
                    {
                        "id": 1,
                        "charging_rate_unit": "W",
                        "charging_schedule_period": [
                            {"start_period": 0, "limit": 30_000.0},
                            {"start_period": 600, "limit": 20_000.0},
                        ],
                    }
                ],
            )
        )
        await cs.call(call.ClearedChargingLimit(charging_limit_source="SO", evse_id=0))

    assert sink.of_type(ExternalChargingLimit) == [
        ExternalChargingLimit("CS1", 0, "SO", 20.0, True, NOW),
        ExternalChargingLimit("CS1", 0, "SO", None, False, NOW),
    ]


async def test_tc_k_clear_charging_profile_by_criteria() -> None:
    sink = RecordingSink(boot=ACCEPTED)
    central = CentralSystem(sink, fixed_now)
    async with running(central) as url, station(url, "CS1", central=central) as cs:
        await cs.call(BOOT)
        result = await central.clear_charging_profile("CS1", connector_id=1, purpose=ProfilePurpose.TX)
        criteria = await cs.cleared.get()

    assert result.ok
    assert criteria == {
        "charging_profile_criteria": {"evse_id": 1, "charging_profile_purpose": "TxProfile"},
    }
