"""Battery model: CC/CV taper above 80 % SoC, 92 % grid-to-battery efficiency, no overfill."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpp_server.simulator.battery import (
    CHARGING_EFFICIENCY,
    SimVehicleSpec,
    VehicleBattery,
    tapered_power_kw,
)


def _car(soc: float = 0.5, battery_kwh: float = 50.0) -> SimVehicleSpec:
    return SimVehicleSpec("car-1", "TAG-CAR-1", "car", battery_kwh, 11.0, 50.0, soc)


@pytest.mark.parametrize(
    ("soc", "expected_kw"),
    [
        (0.0, 50.0),
        (0.5, 50.0),
        (0.8, 50.0),
        # halfway through the taper: 50 * (1 - 0.5 * 0.9)
        (0.9, 27.5),
        # just below full: 10 % of the rated power
        (1.0, 5.0),
    ],
)
def test_taper_is_flat_to_80_percent_then_linear_to_10_percent(soc: float, expected_kw: float) -> None:
    assert tapered_power_kw(50.0, soc) == pytest.approx(expected_kw)


def test_taper_rejects_soc_outside_unit_interval() -> None:
    with pytest.raises(ValueError, match="soc"):
        tapered_power_kw(50.0, 1.2)


def test_vehicle_accepts_its_ac_or_dc_maximum_and_nothing_when_full() -> None:
    battery = VehicleBattery(_car(soc=0.5))
    assert battery.max_charge_power_kw("AC") == 11.0
    assert battery.max_charge_power_kw("DC") == 50.0
    assert VehicleBattery(_car(soc=1.0)).max_charge_power_kw("DC") == 0.0


def test_one_hour_at_11_kw_stores_92_percent_of_the_metered_energy() -> None:
    battery = VehicleBattery(_car(soc=0.5))
    drawn_kwh = battery.charge(11.0, 3600)
    assert drawn_kwh == pytest.approx(11.0)
    assert battery.stored_kwh == pytest.approx(25.0 + 11.0 * 0.92)
    assert battery.soc == pytest.approx((25.0 + 10.12) / 50.0)


def test_charging_stops_when_full_and_meters_only_what_was_taken() -> None:
    battery = VehicleBattery(_car(soc=0.95, battery_kwh=10.0))
    drawn_kwh = battery.charge(50.0, 3600)
    assert battery.soc == pytest.approx(1.0)
    assert drawn_kwh == pytest.approx(0.5 / CHARGING_EFFICIENCY)
    assert battery.is_full
    assert battery.charge(50.0, 3600) == 0.0


def test_driving_takes_energy_and_reports_what_was_missing() -> None:
    battery = VehicleBattery(_car(soc=0.2, battery_kwh=50.0))
    assert battery.drive(4.0) == 0.0
    assert battery.stored_kwh == pytest.approx(6.0)
    assert battery.drive(10.0) == pytest.approx(4.0)
    assert battery.stored_kwh == 0.0


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("initial_soc", {"initial_soc": 1.5}),
        ("battery_kwh", {"battery_kwh": 0.0}),
        ("vehicle_class", {"vehicle_class": "bus"}),
        ("id_tag", {"id_tag": "X" * 21}),
    ],
)
def test_spec_rejects_bad_values_naming_the_field(field: str, kwargs: dict[str, object]) -> None:
    values: dict[str, object] = {
        "vehicle_id": "v",
        "id_tag": "T",
        "vehicle_class": "car",
        "battery_kwh": 40.0,
        "max_ac_kw": 11.0,
        "max_dc_kw": 50.0,
        "initial_soc": 0.5,
    }
    values.update(kwargs)
    with pytest.raises(ValueError, match=field):
        SimVehicleSpec(**values)  # type: ignore[arg-type]


@given(
    soc=st.floats(0.0, 1.0),
    steps=st.lists(st.tuples(st.floats(0.0, 150.0), st.floats(0.0, 7200.0)), max_size=20),
)
def test_charging_never_overfills_and_meter_matches_stored_energy(soc: float, steps: list[tuple[float, float]]) -> None:
    battery = VehicleBattery(_car(soc=soc, battery_kwh=40.0))
    start_kwh = battery.stored_kwh
    drawn_kwh = sum(battery.charge(power_kw, duration_s) for power_kw, duration_s in steps)
    assert battery.stored_kwh <= 40.0 + 1e-9
    assert drawn_kwh * CHARGING_EFFICIENCY == pytest.approx(battery.stored_kwh - start_kwh, abs=1e-9)


@given(low=st.floats(0.0, 1.0), high=st.floats(0.0, 1.0))
def test_taper_never_increases_with_soc(low: float, high: float) -> None:
    low, high = sorted((low, high))
    assert tapered_power_kw(22.0, high) <= tapered_power_kw(22.0, low)
