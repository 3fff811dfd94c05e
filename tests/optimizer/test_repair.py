"""Dispatchable setpoints: 0 or at least the minimum, in steps, within every limit; the gap reported."""

from __future__ import annotations

import pytest

from optimizer import SolveStatus, UnmetReason, dispatchable, fallback_schedule, solve
from optimizer.repair_slots import SetpointGrid
from tests.optimizer.factories import problem, vehicle
from tests.optimizer.invariants import assert_dispatchable, assert_safe

# 6 A minimum and 1 A steps at 3 x 230 V: 4.14 kW and 0.69 kW; 16 A is 11.04 kW.
MIN_KW, STEP_KW, MAX_KW = 4.14, 0.69, 11.04


def test_setpoint_grid() -> None:
    grid = SetpointGrid(MIN_KW, STEP_KW)
    assert grid.lowest_kw == pytest.approx(4.14)
    assert grid.floor(4.0) == 0.0
    assert grid.floor(5.0) == pytest.approx(4.83)
    assert grid.above(0.0) == pytest.approx(4.14)
    assert grid.above(4.83) == pytest.approx(5.52)
    continuous = SetpointGrid(1.5, 0.0)
    assert (continuous.floor(1.0), continuous.floor(2.7), continuous.above(1.0), continuous.above(2.0)) == (
        0.0,
        2.7,
        1.5,
        None,
    )


def test_below_minimum_energy_moves_into_a_larger_setpoint() -> None:
    # 3.45 kWh in four 15-minute slots. The LP takes 11.04 kW in the cheapest slot (0.10) and the
    # last 0.69 kWh at 2.76 kW in the next cheapest (0.20): below the 4.14 kW minimum. The repair
    # holds 4.14 kW there and takes 1.38 kW off the cheap slot: 9.66 + 4.14 = 13.8 kW x 0.25 h.
    # LP 2.76 x 0.10 + 0.69 x 0.20 = 0.414; repaired 2.415 x 0.10 + 1.035 x 0.20 = 0.4485 (+8.33 %).
    car = vehicle(
        "car",
        available_h=(0.25,) * 4,
        max_power_kw=MAX_KW,
        energy_needed_kwh=3.45,
        min_power_kw=MIN_KW,
        power_step_kw=STEP_KW,
    )
    p = problem(slot_duration_h=(0.25,) * 4, import_price_eur_per_kwh=(0.30, 0.10, 0.20, 0.40), vehicles=[car])
    lp = solve(p)
    assert lp.plans[0].power_kw == pytest.approx((0.0, 11.04, 2.76, 0.0))
    repaired = solve(p, dispatchable=True)
    assert repaired.status is SolveStatus.OPTIMAL
    assert repaired.plans[0].power_kw == pytest.approx((0.0, 9.66, 4.14, 0.0))
    assert repaired.plans[0].unmet_energy_kwh == 0.0
    assert repaired.lp_objective_eur == pytest.approx(0.414)
    assert repaired.objective_eur == pytest.approx(0.4485)
    assert repaired.gap_percent == pytest.approx(100 * 0.0345 / 0.414)
    assert repaired.timings.repair_s > 0
    assert_dispatchable(p, repaired)
    assert_safe(p, repaired)


def test_grid_limit_and_steps_leave_the_lower_priority_out() -> None:
    # 10 kW for an hour: the LP gives the van (priority 3) 10 kW. On 0.69 kW steps it gets 9.66 kW;
    # the car's 4.14 kW minimum does not fit in the 0.34 kW left. The van's 0.34 kWh is below one
    # step (the charger's granularity), the car's 10 kWh is the grid's.
    # LP 10 x 0.20 + 2.0 x 10 = 22.00; repaired 9.66 x 0.20 + 2.0 x 3 x 0.34 + 2.0 x 10 = 23.972.
    p = problem(
        slot_duration_h=(1.0,),
        grid_import_limit_kw=10.0,
        vehicles=[
            vehicle("car", available_h=(1.0,), max_power_kw=MAX_KW, min_power_kw=MIN_KW, power_step_kw=STEP_KW),
            vehicle(
                "van", available_h=(1.0,), max_power_kw=MAX_KW, priority=3.0, min_power_kw=MIN_KW, power_step_kw=STEP_KW
            ),
        ],
    )
    repaired = solve(p, dispatchable=True)
    car, van = repaired.plans
    assert car.power_kw == (0.0,)
    assert van.power_kw == pytest.approx((9.66,))
    assert (car.unmet_reason, van.unmet_reason) == (UnmetReason.NOT_ENOUGH_GRID, UnmetReason.VEHICLE_LIMIT)
    assert repaired.lp_objective_eur == pytest.approx(22.0)
    assert repaired.objective_eur == pytest.approx(23.972)
    assert_dispatchable(p, repaired)


def test_continuous_chargers_keep_the_lp_plan() -> None:
    p = problem(
        slot_duration_h=(0.5, 1.0, 1.0),
        import_price_eur_per_kwh=(0.3, 0.1, 0.2),
        grid_import_limit_kw=15.0,
        vehicles=[
            vehicle("a", available_h=(0.5, 1.0, 1.0), energy_needed_kwh=17.0),
            vehicle("b", available_h=(0.5, 1.0, 0.0), energy_needed_kwh=6.0),
        ],
    )
    lp = solve(p)
    repaired = dispatchable(lp, p)
    assert [plan.power_kw for plan in repaired.plans] == [plan.power_kw for plan in lp.plans]
    assert repaired.gap_percent == pytest.approx(0.0, abs=1e-9)


def test_fallback_plans_can_be_repaired_too() -> None:
    p = problem(
        slot_duration_h=(0.25,) * 4,
        grid_import_limit_kw=12.0,
        vehicles=[
            vehicle(name, available_h=(0.25,) * 4, max_power_kw=MAX_KW, min_power_kw=MIN_KW, power_step_kw=STEP_KW)
            for name in ("a", "b", "c")
        ],
    )
    repaired = dispatchable(fallback_schedule(p, reason="solver down"), p)
    assert repaired.status is SolveStatus.FALLBACK
    assert repaired.lp_objective_eur is None
    assert repaired.gap_percent is None
    assert repaired.ev_power_kw[0] > 0
    assert_dispatchable(p, repaired)
    assert_safe(p, repaired)


def test_a_schedule_for_another_problem_is_refused() -> None:
    p = problem(slot_duration_h=(1.0,), vehicles=[vehicle("a", available_h=(1.0,))])
    other = problem(slot_duration_h=(1.0,), vehicles=[vehicle("b", available_h=(1.0,))])
    with pytest.raises(ValueError, match="schedule"):
        dispatchable(solve(other), p)
