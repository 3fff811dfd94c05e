"""Vehicles: taper near full, battery room, state of charge at departure, unmet reasons, expected arrivals."""

from __future__ import annotations

from dataclasses import replace

import pytest

from optimizer import SolveStatus, UnmetReason, fallback_schedule, solve
from optimizer.model import build_charge_index, build_model
from optimizer.taper import taper_lines, vehicle_limit_kw
from tests.optimizer.factories import problem, vehicle
from tests.optimizer.invariants import assert_safe

# 22 kW up to 80 % SoC, then down to 2 kW at 100 %: above 80 % the limit is 22 - 100 x (soc - 0.8) kW.
TAPER = ((0.0, 22.0), (0.8, 22.0), (1.0, 2.0))


def taper_plan_kw(slots: int, need_kwh: float) -> list[float]:
    """By hand: from 80 % of 40 kWh, each 15-minute slot at what the taper allows at its end.

    Above 80 % the line is ``22 - 100 (soc - 0.8)`` kW; with ``p`` kW for 0.25 h the SoC at the end
    is ``soc + p * 0.25 / 40``, so ``p = (22 - 100 (soc - 0.8)) / (1 + 100 * 0.25 / 40)``."""
    stored_kwh, plan = 32.0, []
    for _ in range(slots):
        soc = stored_kwh / 40.0
        p_kw = min((22.0 - 100.0 * (soc - 0.8)) / (1.0 + 100.0 * 0.25 / 40.0), (32.0 + need_kwh - stored_kwh) / 0.25)
        plan.append(p_kw)
        stored_kwh += p_kw * 0.25
    return plan


def test_taper_limits_power_to_what_the_battery_accepts_at_the_end_of_each_slot() -> None:
    # 40 kWh battery at 80 % (32 kWh), 7.5 kWh wanted, four 15-minute slots, one price: as early as
    # the taper allows: 22 / 1.625 = 13.54 kW (3.38 kWh), 8.33 kW, 5.13 kW, then the last 0.75 kWh
    # at 3.00 kW. Cost 7.5 kWh x 0.20 = 1.50; 98.75 % at departure.
    car = vehicle(
        "car",
        available_h=(0.25,) * 4,
        max_power_kw=22.0,
        energy_needed_kwh=7.5,
        battery_kwh=40.0,
        initial_soc=0.8,
        taper=TAPER,
    )
    p = problem(slot_duration_h=(0.25,) * 4, vehicles=[car])
    schedule = solve(p)
    assert schedule.status is SolveStatus.OPTIMAL
    expected_kw = taper_plan_kw(4, 7.5)
    assert expected_kw == pytest.approx([13.5385, 8.3314, 5.1270, 3.0032], abs=1e-4)
    assert schedule.plans[0].power_kw == pytest.approx(expected_kw)
    assert schedule.plans[0].departure_soc == pytest.approx(0.9875)
    assert schedule.objective_eur == pytest.approx(1.5)
    assert_safe(p, schedule)
    fallback = fallback_schedule(p, reason="test")
    assert fallback.plans[0].power_kw == pytest.approx(expected_kw)


def test_taper_binding_everywhere_is_a_vehicle_limit() -> None:
    # Two 15-minute slots from 80 %: 13.54 kW (3.38 kWh) then 8.33 kW (2.08 kWh); 2.53 kWh unmet.
    car = vehicle(
        "car",
        available_h=(0.25, 0.25),
        max_power_kw=22.0,
        energy_needed_kwh=8.0,
        battery_kwh=40.0,
        initial_soc=0.8,
        taper=TAPER,
    )
    schedule = solve(problem(slot_duration_h=(0.25, 0.25), vehicles=[car]))
    plan = schedule.plans[0]
    expected_kw = taper_plan_kw(2, 8.0)
    assert plan.power_kw == pytest.approx(expected_kw)
    assert plan.unmet_energy_kwh == pytest.approx(8.0 - 0.25 * sum(expected_kw))
    assert plan.unmet_energy_kwh == pytest.approx(2.5325, abs=1e-4)
    assert plan.unmet_reason is UnmetReason.VEHICLE_LIMIT


def test_battery_room_caps_delivery() -> None:
    # 40 kWh at 90 %: room for 4 kWh of the 10 wanted. Energy 4 x 0.20, penalty 2.0 x 6.
    car = vehicle("car", available_h=(1.0,), energy_needed_kwh=10.0, battery_kwh=40.0, initial_soc=0.9)
    schedule = solve(problem(slot_duration_h=(1.0,), vehicles=[car]))
    plan = schedule.plans[0]
    assert plan.power_kw == pytest.approx((4.0,))
    assert plan.departure_soc == pytest.approx(1.0)
    assert plan.unmet_energy_kwh == pytest.approx(6.0)
    assert plan.unmet_reason is UnmetReason.VEHICLE_LIMIT
    assert schedule.objective_eur == pytest.approx(0.8 + 12.0)


def test_efficiency_covers_charger_and_battery() -> None:
    # 85 % from grid to battery: 8.5 kWh in the battery take 10 kWh from the grid. SoC 0.5 + 8.5 / 50.
    car = vehicle("car", available_h=(1.0,), energy_needed_kwh=8.5, efficiency=0.85, battery_kwh=50.0, initial_soc=0.5)
    schedule = solve(problem(slot_duration_h=(1.0,), vehicles=[car]))
    assert schedule.plans[0].power_kw == pytest.approx((10.0,))
    assert schedule.plans[0].departure_soc == pytest.approx(0.67)
    assert schedule.objective_eur == pytest.approx(2.0)


def test_unmet_reasons() -> None:
    # Grid 15 kW over one hour. "short-stay" could take 11 kWh at most and wants 20: not enough time.
    # "crowded" could take all 10 kWh alone but the grid is shared with "van" (priority 3): grid.
    p = problem(
        slot_duration_h=(1.0,),
        grid_import_limit_kw=15.0,
        vehicles=[
            vehicle("short-stay", available_h=(1.0,), energy_needed_kwh=20.0, priority=0.5),
            vehicle("crowded", available_h=(1.0,), energy_needed_kwh=10.0),
            vehicle("van", available_h=(1.0,), energy_needed_kwh=10.0, priority=3.0),
            vehicle("done", available_h=(1.0,), energy_needed_kwh=0.0),
        ],
    )
    schedule = solve(p)
    reasons = {plan.vehicle_id: plan.unmet_reason for plan in schedule.plans}
    assert reasons == {
        "short-stay": UnmetReason.NOT_ENOUGH_TIME,
        "crowded": UnmetReason.NOT_ENOUGH_GRID,
        "van": None,
        "done": None,
    }
    assert_safe(p, schedule)


def test_expected_vehicle_keeps_capacity_and_is_marked() -> None:
    # 11 kW of grid. The van is expected from slot 2, when power is cheap (0.10); the plugged-in car
    # would like those slots too, but the van's priority wins them and the car charges first
    # (0.30, earliest of the equal slots). Cost 11 x 0.30 + 22 x 0.10 = 5.50.
    p = problem(
        slot_duration_h=(1.0,) * 4,
        grid_import_limit_kw=11.0,
        import_price_eur_per_kwh=(0.30, 0.30, 0.10, 0.10),
        vehicles=[
            vehicle("car", available_h=(1.0,) * 4, energy_needed_kwh=11.0),
            vehicle("van", available_h=(0.0, 0.0, 1.0, 1.0), energy_needed_kwh=22.0, priority=2.0, expected=True),
        ],
    )
    schedule = solve(p)
    car, van = schedule.plans
    assert car.power_kw == pytest.approx((11.0, 0.0, 0.0, 0.0))
    assert van.power_kw == pytest.approx((0.0, 0.0, 11.0, 11.0))
    assert (car.expected, van.expected) == (False, True)
    assert schedule.objective_eur == pytest.approx(5.5)
    assert_safe(p, schedule)


def test_absent_data_adds_no_variables() -> None:
    p = problem(slot_duration_h=(1.0, 1.0), vehicles=[vehicle("car", available_h=(1.0, 1.0))])
    model = build_model(p, build_charge_index(p))
    names = {component.name for component in model.component_objects()}
    assert not names & {"stored_energy_kwh", "site_limit", "worst_unmet_share", "power_rise_kw", "peak_import_kw"}


def test_a_taper_bound_limit_still_holds_when_replanned_within_its_slot() -> None:
    # A 68 kWh van at 95 % on 50 kW (down to 5 kW at 100 %: -225 kW per unit of SoC) accepts
    # 50 - 225 x 0.15 = 16.25 kW now. A charger holds one limit for the quarter hour, so the plan
    # may count only what the battery still accepts at its end: p = 16.25 - 225 x p x 0.25 x 0.92 / 68,
    # p = 16.25 / 1.76103 = 9.2276 kW. Planned halfway (11.77 kW) the battery would take less than
    # the limit before the quarter hour is over, and the re-plan 5 minutes in, on the 10 minutes
    # left, would allow less than was planned: the van leaves short.
    taper = ((0.0, 50.0), (0.8, 50.0), (1.0, 5.0))
    van = vehicle(
        "van", available_h=(0.25,), max_power_kw=50.0, efficiency=0.92, battery_kwh=68.0, initial_soc=0.95, taper=taper
    )
    lines = taper_lines(taper)
    planned_kw = vehicle_limit_kw(van, lines, 0.0, 0.25 * 0.92)
    assert planned_kw == pytest.approx(16.25 / (1 + 225 * 0.25 * 0.92 / 68), abs=1e-9)
    assert planned_kw == pytest.approx(9.2276, abs=1e-4)
    five_minutes_kwh = planned_kw * 0.92 / 12
    # the same end of the slot, so the same limit
    assert vehicle_limit_kw(van, lines, five_minutes_kwh, 0.92 / 6) == pytest.approx(planned_kw, abs=1e-9)
    schedule = solve(problem(slot_duration_h=(0.25,), vehicles=[replace(van, energy_needed_kwh=3.0)]))
    assert schedule.plans[0].power_kw[0] == pytest.approx(planned_kw, abs=1e-6)
