"""The connector state machine and its energy meter, driven by hand-picked times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ocpp_server.simulator.battery import SimVehicleSpec, VehicleBattery
from ocpp_server.simulator.charger_spec import SimChargerSpec
from ocpp_server.simulator.config import default_configuration
from ocpp_server.simulator.connector import Connector, ConnectorBusyError
from ocpp_server.simulator.outbox import (
    MeterValuesOut,
    Outbox,
    OutMessage,
    StartTransactionOut,
    StatusOut,
    StopTransactionOut,
)
from ocpp_server.simulator.profiles import ChargingProfile, SchedulePeriod

AC = SimChargerSpec("AC-1", "AC", 22.0, "A", 3, 230.0, 6.0, "Vettabbia", "SimAC22")
T0 = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def car(soc: float = 0.5) -> VehicleBattery:
    return VehicleBattery(SimVehicleSpec("car-1", "TAG-1", "car", 50.0, 11.0, 50.0, soc))


def make_connector(meter_interval_s: int = 60) -> tuple[Connector, Outbox]:
    outbox = Outbox()
    outbox.set_online(True)
    config = default_configuration(AC, meter_interval_s=meter_interval_s, heartbeat_interval_s=300)
    return Connector(AC, config, outbox, T0), outbox


def drain(outbox: Outbox) -> list[OutMessage]:
    messages = list(outbox.pending())
    for _ in messages:
        outbox.remove_head()
    return messages


def statuses(messages: list[OutMessage]) -> list[str]:
    return [m.status for m in messages if isinstance(m, StatusOut)]


def tx_default(limit_a: float) -> ChargingProfile:
    return ChargingProfile(
        profile_id=1,
        connector_id=0,
        stack_level=0,
        purpose="TxDefaultProfile",
        kind="Relative",
        rate_unit="A",
        periods=(SchedulePeriod(0, limit_a),),
        installed_at=T0,
    )


def test_plug_in_starts_a_transaction_with_the_vehicle_id_tag() -> None:
    connector, outbox = make_connector()
    connector.plug_in(car(), T0)
    messages = drain(outbox)
    assert statuses(messages) == ["Preparing", "Charging"]
    starts = [m for m in messages if isinstance(m, StartTransactionOut)]
    assert [(s.transaction.id_tag, s.transaction.meter_start_wh) for s in starts] == [("TAG-1", 0)]
    begin = [m for m in messages if isinstance(m, MeterValuesOut)]
    assert [r.context for m in begin for r in m.readings] == ["Transaction.Begin"]
    assert connector.power_kw == 11.0


def test_the_meter_integrates_power_over_time() -> None:
    connector, outbox = make_connector()
    connector.plug_in(car(), T0)
    drain(outbox)
    connector.update(at(60))
    # 11 kW for one minute
    assert connector.energy_register_wh == pytest.approx(11_000 / 60)
    periodic = [m for m in drain(outbox) if isinstance(m, MeterValuesOut)]
    assert len(periodic) == 1
    reading = periodic[0].readings[0]
    assert reading.context == "Sample.Periodic"
    assert reading.energy_register_wh == pytest.approx(183.333, abs=1e-3)
    assert reading.power_w == pytest.approx(11_000.0)
    assert reading.current_a == pytest.approx(11_000 / 690)
    assert reading.soc_percent == pytest.approx(100 * (25.0 + 11 / 60 * 0.92) / 50.0)


def test_meter_values_follow_the_sample_interval() -> None:
    connector, outbox = make_connector()
    connector.plug_in(car(), T0)
    drain(outbox)
    for second in range(10, 301, 10):
        connector.update(at(second))
    periodic = [m for m in drain(outbox) if isinstance(m, MeterValuesOut)]
    assert [m.readings[0].timestamp for m in periodic] == [at(60), at(120), at(180), at(240), at(300)]


def test_a_zero_limit_suspends_the_evse_and_a_full_battery_suspends_the_ev() -> None:
    connector, outbox = make_connector()
    connector.plug_in(car(soc=0.99), T0)
    connector.set_profile(tx_default(0.0), at(1))
    assert connector.status == "SuspendedEVSE"
    assert connector.power_kw == 0.0
    connector.set_profile(tx_default(16.0), at(2))
    assert connector.status == "Charging"
    connector.update(at(3600))
    assert connector.status == "SuspendedEV"
    assert statuses(drain(outbox)) == ["Preparing", "Charging", "SuspendedEVSE", "Charging", "SuspendedEV"]


def test_a_limit_below_the_minimum_current_suspends_the_evse() -> None:
    connector, _ = make_connector()
    connector.plug_in(car(), T0)
    connector.set_profile(tx_default(5.0), at(1))
    assert connector.status == "SuspendedEVSE"


def test_a_lower_limit_applies_from_the_moment_it_is_installed() -> None:
    connector, _ = make_connector()
    connector.plug_in(car(), T0)
    connector.set_profile(tx_default(10.0), at(30))
    connector.update(at(90))
    # 30 s at 11 kW, then 60 s at 6.9 kW
    assert connector.energy_register_wh == pytest.approx((11.0 * 30 + 6.9 * 60) / 3.6)


def test_unplug_stops_the_transaction_then_finishing_then_available() -> None:
    connector, outbox = make_connector()
    connector.plug_in(car(), T0)
    drain(outbox)
    connector.unplug(at(3600))
    messages = drain(outbox)
    stops = [m for m in messages if isinstance(m, StopTransactionOut)]
    assert len(stops) == 1
    assert stops[0].reason == "EVDisconnected"
    assert stops[0].meter_stop_wh == 11_000
    assert [r.context for r in stops[0].readings] == ["Transaction.End"]
    assert statuses(messages) == ["Finishing", "Available"]
    assert connector.transaction is None
    assert connector.battery is None


def test_a_second_transaction_starts_from_the_meter_reading() -> None:
    connector, outbox = make_connector()
    connector.plug_in(car(), T0)
    connector.unplug(at(1800))
    connector.plug_in(car(), at(2000))
    starts = [m for m in drain(outbox) if isinstance(m, StartTransactionOut)]
    assert [s.transaction.meter_start_wh for s in starts] == [0, 5500]


def test_a_stopped_transaction_leaves_the_vehicle_finishing_until_remote_start() -> None:
    connector, outbox = make_connector()
    connector.plug_in(car(), T0)
    connector.stop_transaction("Remote", at(60))
    assert connector.status == "Finishing"
    assert connector.power_kw == 0.0
    connector.update(at(600))
    assert connector.energy_register_wh == pytest.approx(11_000 / 60)
    assert connector.can_start_transaction()
    connector.start_transaction("OPERATOR", at(600))
    assert connector.status == "Charging"
    starts = [m for m in drain(outbox) if isinstance(m, StartTransactionOut)]
    assert [s.transaction.id_tag for s in starts] == ["TAG-1", "OPERATOR"]


def test_a_refused_id_tag_stops_the_transaction() -> None:
    connector, outbox = make_connector()
    connector.plug_in(car(), T0)
    transaction = connector.transaction
    assert transaction is not None
    connector.confirm_transaction(transaction, 42, id_tag_accepted=False, now=at(5))
    assert transaction.transaction_id == 42
    stops = [m for m in drain(outbox) if isinstance(m, StopTransactionOut)]
    assert [s.reason for s in stops] == ["DeAuthorized"]


def test_sampling_can_be_switched_off() -> None:
    connector, outbox = make_connector(meter_interval_s=0)
    connector.plug_in(car(), T0)
    drain(outbox)
    connector.update(at(600))
    assert [m for m in drain(outbox) if isinstance(m, MeterValuesOut)] == []


def test_plugging_into_an_occupied_connector_fails() -> None:
    connector, _ = make_connector()
    connector.plug_in(car(), T0)
    with pytest.raises(ConnectorBusyError, match="car-1"):
        connector.plug_in(car(), at(1))


# ChangeAvailability (OCPP 1.6, 5.2)


def test_an_idle_connector_made_inoperative_is_unavailable_and_refuses_a_session() -> None:
    connector, outbox = make_connector()
    assert connector.change_availability(False, at(0)) == "Accepted"
    connector.plug_in(car(), at(10))
    messages = drain(outbox)
    assert statuses(messages) == ["Unavailable"]
    assert not any(isinstance(m, StartTransactionOut) for m in messages)
    assert [s.status for s in connector.status_reports(at(10))] == ["Unavailable", "Unavailable"]


def test_made_operative_again_the_plugged_vehicle_starts_its_session() -> None:
    connector, outbox = make_connector()
    connector.change_availability(False, at(0))
    connector.plug_in(car(), at(10))
    drain(outbox)
    assert connector.change_availability(True, at(20)) == "Accepted"
    messages = drain(outbox)
    assert statuses(messages)[:2] == ["Preparing", "Charging"]
    assert any(isinstance(m, StartTransactionOut) for m in messages)


def test_inoperative_during_a_transaction_is_scheduled_for_its_end() -> None:
    connector, outbox = make_connector()
    connector.plug_in(car(), at(0))
    drain(outbox)
    assert connector.change_availability(False, at(10)) == "Scheduled"
    assert connector.status == "Charging"
    connector.stop_transaction("Local", at(20))
    assert statuses(drain(outbox)) == ["Finishing", "Unavailable"]
    connector.unplug(at(30))
    assert statuses(drain(outbox)) == []
    assert connector.change_availability(True, at(40)) == "Accepted"
    assert statuses(drain(outbox)) == ["Available"]
