"""The solver-free plan: earliest departure first within each slot's grid headroom."""

from __future__ import annotations

import pytest

from optimizer import SolveStatus, fallback_schedule, solve
from tests.optimizer.factories import problem, vehicle
from tests.optimizer.invariants import assert_safe


def test_earliest_departure_charges_first() -> None:
    # 10 kW of headroom: "early" leaves after slot 0 and takes it; "late" charges in slot 1.
    # Cost 10 kWh x 0.30 + 10 kWh x 0.10 = 4.00, which is also the optimum here.
    p = problem(
        slot_duration_h=(1.0, 1.0),
        grid_import_limit_kw=10.0,
        import_price_eur_per_kwh=(0.30, 0.10),
        vehicles=[
            vehicle("late", available_h=(1.0, 1.0), max_power_kw=10.0),
            vehicle("early", available_h=(1.0, 0.0), max_power_kw=10.0),
        ],
    )
    schedule = fallback_schedule(p, reason="solver unavailable")
    assert schedule.status is SolveStatus.FALLBACK
    assert schedule.termination == "solver unavailable"
    assert schedule.plans[0].power_kw == (0.0, 10.0)
    assert schedule.plans[1].power_kw == (10.0, 0.0)
    assert schedule.objective_eur == pytest.approx(4.0)
    assert solve(p).objective_eur == pytest.approx(4.0)
    assert_safe(p, schedule)


def test_leaving_mid_slot_counts_as_earlier() -> None:
    p = problem(
        slot_duration_h=(1.0, 1.0),
        grid_import_limit_kw=10.0,
        vehicles=[
            vehicle("stays", available_h=(1.0, 1.0), max_power_kw=10.0),
            vehicle("leaves-at-half-past", available_h=(1.0, 0.5), max_power_kw=10.0),
        ],
    )
    schedule = fallback_schedule(p, reason="test")
    # the early leaver takes slot 0 whole (10 kWh, done); the other charges in slot 1
    assert schedule.plans[1].power_kw == (10.0, 0.0)
    assert schedule.plans[0].power_kw == (0.0, 10.0)


def test_same_departure_goes_to_higher_priority() -> None:
    p = problem(
        slot_duration_h=(1.0,),
        grid_import_limit_kw=10.0,
        vehicles=[
            vehicle("car", available_h=(1.0,), max_power_kw=10.0, priority=1.0),
            vehicle("van", available_h=(1.0,), max_power_kw=10.0, priority=3.0),
        ],
    )
    schedule = fallback_schedule(p, reason="test")
    assert schedule.plans[1].power_kw == (10.0,)
    assert schedule.plans[0].power_kw == (0.0,)
    assert schedule.plans[0].unmet_energy_kwh == pytest.approx(10.0)


def test_stops_at_the_need_and_at_maximum_power() -> None:
    p = problem(
        slot_duration_h=(1.0, 1.0),
        vehicles=[
            vehicle("small-need", available_h=(1.0, 1.0), max_power_kw=10.0, energy_needed_kwh=4.0),
            vehicle("slow", available_h=(1.0, 1.0), max_power_kw=7.0, energy_needed_kwh=30.0),
        ],
    )
    schedule = fallback_schedule(p, reason="test")
    assert schedule.plans[0].power_kw == (4.0, 0.0)
    assert schedule.plans[1].power_kw == (7.0, 7.0)
    assert schedule.plans[1].unmet_energy_kwh == pytest.approx(16.0)


def test_short_first_slot_energy_uses_plugged_in_hours() -> None:
    # 8 kW for 15 min is 2 kWh, the remaining 3 kWh at 3 kW in the hour after.
    p = problem(
        slot_duration_h=(0.25, 1.0),
        vehicles=[vehicle("car", available_h=(0.25, 1.0), max_power_kw=8.0, energy_needed_kwh=5.0)],
    )
    schedule = fallback_schedule(p, reason="test")
    assert schedule.plans[0].power_kw == (8.0, 3.0)
    assert schedule.plans[0].unmet_energy_kwh == 0.0


def test_no_headroom_plans_nothing() -> None:
    # base load above the limit: the EV headroom is max(0, 50 - 60) = 0
    p = problem(
        slot_duration_h=(1.0,),
        grid_import_limit_kw=50.0,
        base_load_kw=60.0,
        pv_kw=5.0,
        vehicles=[vehicle("car", available_h=(1.0,), energy_needed_kwh=7.0)],
    )
    schedule = fallback_schedule(p, reason="test")
    assert schedule.plans[0].power_kw == (0.0,)
    assert schedule.plans[0].unmet_energy_kwh == pytest.approx(7.0)
    assert schedule.grid_import_kw == pytest.approx((55.0,))
    # 55 kW x 1 h x 0.20 + 2.0 x 7 kWh
    assert schedule.objective_eur == pytest.approx(11.0 + 14.0)
