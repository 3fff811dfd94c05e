"""More vehicles than chargers: which waiting vehicle to plug in next, and where."""

from __future__ import annotations

from datetime import timedelta

import pytest

from optimizer import FreeConnector, PhasorLimit, PlugInRecommendation, WaitingVehicle, fallback_schedule, solve
from tests.optimizer.factories import HORIZON_START_UTC, problem, vehicle

WAITING = (
    WaitingVehicle(
        "van",
        "van",
        energy_needed_kwh=40.0,
        departure_utc=HORIZON_START_UTC + timedelta(hours=2),
        priority=3.0,
        max_ac_power_kw=11.0,
        max_dc_power_kw=50.0,
        efficiency=1.0,
    ),
    WaitingVehicle(
        "car",
        "car",
        energy_needed_kwh=30.0,
        departure_utc=HORIZON_START_UTC + timedelta(hours=3),
        max_ac_power_kw=11.0,
        max_dc_power_kw=50.0,
        efficiency=1.0,
    ),
)
FREE = (FreeConnector("AC-1/1", 22.0, "AC"), FreeConnector("DC-1/1", 50.0, "DC"))


def site(phasor_limits: tuple[PhasorLimit, ...] = ()) -> tuple[PlugInRecommendation, ...]:
    # 30 kW of grid; the plugged-in car takes 11 kW in each of three hours, so 19 kW are spare.
    p = problem(
        slot_duration_h=(1.0, 1.0, 1.0),
        grid_import_limit_kw=30.0,
        vehicles=[vehicle("plugged", available_h=(1.0, 1.0, 1.0), energy_needed_kwh=33.0)],
        waiting_vehicles=WAITING,
        free_connectors=FREE,
        phasor_limits=phasor_limits,
    )
    return solve(p).recommendations


def test_highest_priority_times_deliverable_energy_goes_first() -> None:
    # Van on DC: 19 kW x 2 h = 38 kWh at 2 EUR/kWh x priority 3, 228 EUR (on AC only 11 kW: 22 kWh,
    # 132 EUR). Then the car on AC: the van took the spare power of its two hours, 11 kW x 1 h is left.
    recommendations = site()
    assert [(r.rank, r.vehicle_id, r.vehicle_class, r.connector_key) for r in recommendations] == [
        (1, "van", "van", "DC-1/1"),
        (2, "car", "car", "AC-1/1"),
    ]
    assert [r.deliverable_energy_kwh for r in recommendations] == pytest.approx([38.0, 11.0])
    assert [r.avoided_unmet_cost_eur for r in recommendations] == pytest.approx([228.0, 22.0])


def _one_free_connector_for_two_cars(completion_weight_kwh: float) -> tuple[PlugInRecommendation, ...]:
    # 5 kW spare for an hour: either car would take 5 kWh. "far" (20 kWh wanted) leaves first and
    # wins the tie; "near" wants 5 kWh, so the completion weight values its kWh more.
    cars = tuple(
        WaitingVehicle(
            car_id,
            "car",
            energy_needed_kwh=need_kwh,
            departure_utc=HORIZON_START_UTC + timedelta(hours=leaves_h),
            max_ac_power_kw=11.0,
            efficiency=1.0,
        )
        for car_id, need_kwh, leaves_h in (("far", 20.0, 1.0), ("near", 5.0, 2.0))
    )
    p = problem(
        slot_duration_h=(1.0,),
        grid_import_limit_kw=5.0,
        completion_weight_kwh=completion_weight_kwh,
        waiting_vehicles=cars,
        free_connectors=(FreeConnector("AC-1/1", 22.0, "AC"),),
    )
    return solve(p).recommendations


def test_without_a_completion_weight_equal_energy_goes_to_the_earlier_departure() -> None:
    (first,) = _one_free_connector_for_two_cars(0.0)

    assert first.vehicle_id == "far"
    assert first.avoided_unmet_cost_eur == pytest.approx(2.0 * 5.0)


def test_the_completion_weight_puts_the_car_nearest_its_target_first() -> None:
    # 5 kWh at 2 EUR/kWh x (1 + 0.5 / 5) = 11 EUR against 2 x (1 + 0.5 / 20) x 5 = 10.25 EUR
    (first,) = _one_free_connector_for_two_cars(0.5)

    assert first.vehicle_id == "near"
    assert first.avoided_unmet_cost_eur == pytest.approx(11.0)


def test_phasor_rows_limit_what_a_free_connector_could_draw() -> None:
    # A 15 kW cabinet on the DC connector: van on DC 30 kWh (score 90), still ahead of AC (66). Then
    # 4 kW are spare in the first two hours and 19 kW in the third: the car gets 4 + 4 + 11 kWh.
    cabinet = PhasorLimit("DC cabinet", (("DC-1/1", 1.0),), limit=15.0)
    recommendations = site((cabinet,))
    assert [(r.vehicle_id, r.connector_key) for r in recommendations] == [("van", "DC-1/1"), ("car", "AC-1/1")]
    assert [r.deliverable_energy_kwh for r in recommendations] == pytest.approx([30.0, 19.0])


def test_nothing_to_recommend_without_waiting_vehicles_or_free_connectors() -> None:
    p = problem(slot_duration_h=(1.0,), free_connectors=FREE)
    assert solve(p).recommendations == ()
    assert fallback_schedule(p, reason="test").recommendations == ()


def test_no_recommendation_when_the_site_is_full() -> None:
    p = problem(
        slot_duration_h=(1.0,),
        grid_import_limit_kw=11.0,
        vehicles=[vehicle("plugged", available_h=(1.0,), energy_needed_kwh=11.0)],
        waiting_vehicles=WAITING,
        free_connectors=FREE,
    )
    assert solve(p).recommendations == ()
