"""The objective's optional terms: capacity charge, fairness, power changes; each worked out by hand."""

from __future__ import annotations

import pytest

from optimizer import ChargingProblem, fallback_schedule, solve
from tests.optimizer.factories import problem, vehicle


@pytest.mark.parametrize(
    ("peak_so_far_kw", "margin_kw", "expected_power_kw", "expected_energy_eur", "expected_capacity_eur"),
    [
        # Base 10 kW, 20 kWh to charge, 0.10 then 0.30, 1 EUR per kW above 15 kW. x kWh in slot 0:
        # energy 10 - 0.2 x, capacity max(10 + x, 30 - x) - 15: least at x = 10, 8.00 + 5.00.
        (15.0, None, (10.0, 10.0), 8.0, 5.0),
        # The month's peak is already 40 kW: no charge, everything in the cheap slot.
        (40.0, None, (20.0, 0.0), 6.0, 0.0),
        # Slot 0's import may turn out 10 kW above its forecast (a cloud): the peak counts it.
        # Capacity max(10 + x + 10, 30 - x) - 15: least at x = 5, energy 9.00 + capacity 10.00.
        (15.0, (10.0, 0.0), (5.0, 15.0), 9.0, 10.0),
        # With the month's peak at 40 kW the margin still fits: everything in the cheap slot.
        (40.0, (10.0, 0.0), (20.0, 0.0), 6.0, 0.0),
    ],
)
def test_capacity_charge_on_the_rise_of_the_peak(
    peak_so_far_kw: float,
    margin_kw: tuple[float, float] | None,
    expected_power_kw: tuple[float, float],
    expected_energy_eur: float,
    expected_capacity_eur: float,
) -> None:
    p = problem(
        slot_duration_h=(1.0, 1.0),
        base_load_kw=10.0,
        import_price_eur_per_kwh=(0.10, 0.30),
        capacity_charge_eur_per_kw=1.0,
        peak_import_so_far_kw=peak_so_far_kw,
        peak_margin_kw=margin_kw,
        vehicles=[vehicle("car", available_h=(1.0, 1.0), max_power_kw=20.0, energy_needed_kwh=20.0)],
    )
    schedule = solve(p)
    assert schedule.plans[0].power_kw == pytest.approx(expected_power_kw)
    assert schedule.cost is not None
    assert schedule.cost.energy_eur == pytest.approx(expected_energy_eur)
    assert schedule.cost.capacity_eur == pytest.approx(expected_capacity_eur)
    assert schedule.objective_eur == pytest.approx(expected_energy_eur + expected_capacity_eur)
    assert schedule.lp_objective_eur == pytest.approx(schedule.objective_eur, abs=1e-6)


def test_exporting_at_a_loss_can_keep_the_margin_under_the_peak() -> None:
    # 10 kW of PV, export up to 2 kW at -0.10 EUR/kWh (export costs), 3 EUR per kW of peak, a 1 kW
    # margin. Curtailing to 0 kW: the peak counts 0 + 1 kW, capacity 3.00. Exporting x kW costs
    # 0.10 x and leaves a peak of max(1 - x, 0): least at x = 1, 0.10 in all.
    p = problem(
        slot_duration_h=(1.0,),
        pv_kw=10.0,
        export_limit_kw=2.0,
        import_price_eur_per_kwh=0.2,
        export_price_eur_per_kwh=-0.1,
        capacity_charge_eur_per_kw=3.0,
        peak_margin_kw=1.0,
    )
    for schedule in (solve(p), fallback_schedule(p, reason="comparison")):
        assert schedule.grid_import_kw == pytest.approx((-1.0,))
        assert schedule.cost is not None
        assert schedule.cost.energy_eur == pytest.approx(0.1)
        assert schedule.cost.capacity_eur == pytest.approx(0.0)
        assert schedule.objective_eur == pytest.approx(0.1)
    assert solve(p).lp_objective_eur == pytest.approx(0.1, abs=1e-6)


def test_the_optimum_is_costed_with_the_export_that_keeps_its_peak_low() -> None:
    # Slot 0 as above (export 1 kW for 0.10, or curtail and pay 3.00 for the margin). In slot 1 a
    # car wants 1 kWh: charging it raises the peak to 1 kW (3.00 + 0.20), leaving it costs 2.00.
    # The optimum leaves it and exports: 2.10. The fallback charges it: 3.00 + 0.20 (slot 0
    # curtails, the car's kW is the peak anyway).
    p = problem(
        slot_duration_h=(1.0, 1.0),
        pv_kw=(10.0, 0.0),
        export_limit_kw=(2.0, 0.0),
        import_price_eur_per_kwh=0.2,
        export_price_eur_per_kwh=(-0.1, 0.0),
        capacity_charge_eur_per_kw=3.0,
        peak_margin_kw=(1.0, 0.0),
        vehicles=[vehicle("car", available_h=(0.0, 1.0), energy_needed_kwh=1.0)],
    )
    optimal = solve(p)
    fallback = fallback_schedule(p, reason="comparison")
    assert optimal.plans[0].power_kw == pytest.approx((0.0, 0.0), abs=1e-6)
    assert optimal.grid_import_kw == pytest.approx((-1.0, 0.0))
    assert optimal.objective_eur == pytest.approx(2.1)
    assert optimal.lp_objective_eur == pytest.approx(2.1, abs=1e-6)
    assert fallback.plans[0].power_kw == pytest.approx((0.0, 1.0))
    assert fallback.objective_eur == pytest.approx(3.2)


def test_fairness_shares_a_shortfall_between_equals() -> None:
    # 10 kW for an hour, two cars of equal priority wanting 10 kWh each: 5 kWh each. Energy 2.00,
    # penalty 2.0 x 10 kWh, fairness 0.1 x the largest unmet share 0.5.
    p = problem(
        slot_duration_h=(1.0,),
        grid_import_limit_kw=10.0,
        fairness_weight_eur=0.1,
        vehicles=[vehicle(name, available_h=(1.0,), max_power_kw=10.0) for name in ("a", "b")],
    )
    schedule = solve(p)
    assert [plan.power_kw for plan in schedule.plans] == [pytest.approx((5.0,)), pytest.approx((5.0,))]
    assert schedule.cost is not None
    assert schedule.cost.fairness_eur == pytest.approx(0.05)
    assert schedule.objective_eur == pytest.approx(2.0 + 20.0 + 0.05)


def test_fairness_counts_only_the_avoidable_shortfall() -> None:
    # "greedy" wants 20 kWh but can take 10 at most: 10 kWh unavoidable. x kWh to it, 10 - x to "b":
    # avoidable shares (10 - x) / 20 and x / 10 are equal at x = 10 / 3. Energy 2.00, penalty
    # 2.0 x 20 kWh, fairness 0.1 x 1/3.
    p = problem(
        slot_duration_h=(1.0,),
        grid_import_limit_kw=10.0,
        fairness_weight_eur=0.1,
        vehicles=[
            vehicle("greedy", available_h=(1.0,), max_power_kw=10.0, energy_needed_kwh=20.0),
            vehicle("b", available_h=(1.0,), max_power_kw=10.0, energy_needed_kwh=10.0),
        ],
    )
    schedule = solve(p)
    assert [plan.power_kw for plan in schedule.plans] == [pytest.approx((10 / 3,)), pytest.approx((20 / 3,))]
    assert schedule.objective_eur == pytest.approx(2.0 + 40.0 + 0.1 / 3)


def test_a_small_need_keeps_its_fair_share_to_the_watt() -> None:
    # 1 kW for an hour, free energy, two cars of equal priority wanting 2.9999 kWh and 0.0001 kWh:
    # 1 kWh of 3 delivered, each left with the same share 2/3 unmet. Penalty 1.0 x 2 kWh, fairness
    # 1.0 x 2/3. "small" gets 1/30000 kW; rounded to 1e-6 kW (3.3e-5) its share would be 0.67 and
    # the plan would cost 1/300 EUR more than the LP's optimum, with the penalty unchanged.
    p = problem(
        slot_duration_h=(1.0,),
        grid_import_limit_kw=1.0,
        import_price_eur_per_kwh=0.0,
        unmet_energy_penalty_eur_per_kwh=1.0,
        fairness_weight_eur=1.0,
        vehicles=[
            vehicle("large", available_h=(1.0,), energy_needed_kwh=2.9999),
            vehicle("small", available_h=(1.0,), energy_needed_kwh=0.0001),
        ],
    )
    schedule = solve(p)
    assert [plan.power_kw for plan in schedule.plans] == [
        pytest.approx((2.9999 / 3,), abs=1e-12),
        pytest.approx((0.0001 / 3,), abs=1e-12),
    ]
    assert schedule.cost is not None
    assert schedule.cost.fairness_eur == pytest.approx(2 / 3, abs=1e-9)
    assert schedule.objective_eur == pytest.approx(2.0 + 2 / 3, abs=1e-9)
    assert schedule.lp_objective_eur == pytest.approx(schedule.objective_eur, abs=1e-9)


def _near_and_far(weight_kwh: float) -> ChargingProblem:
    """5 kW for an hour, two cars of equal priority wanting 1 and 10 kWh: 5 kWh for 11."""
    return problem(
        slot_duration_h=(1.0,),
        grid_import_limit_kw=5.0,
        completion_weight_kwh=weight_kwh,
        vehicles=[
            vehicle("near", available_h=(1.0,), max_power_kw=10.0, energy_needed_kwh=1.0),
            vehicle("far", available_h=(1.0,), max_power_kw=10.0, energy_needed_kwh=10.0),
        ],
    )


def test_a_completion_weight_finishes_the_vehicle_nearest_its_target() -> None:
    # "near" gets its 1 kWh and "far" 4 kWh: energy 0.2 x 5, penalty 2.0 x (1 + 0.01 / 10) x the
    # 6 kWh "far" misses
    schedule = solve(_near_and_far(0.01))
    near, far = schedule.plans
    assert near.power_kw == pytest.approx((1.0,))
    assert far.power_kw == pytest.approx((4.0,))
    assert near.unmet_energy_kwh == pytest.approx(0.0, abs=1e-9)
    assert schedule.cost is not None
    assert schedule.cost.unmet_penalty_eur == pytest.approx(2.0 * 1.001 * 6.0)
    assert schedule.objective_eur == pytest.approx(1.0 + 2.0 * 1.001 * 6.0)


def test_without_a_completion_weight_every_split_of_a_shortfall_costs_the_same() -> None:
    schedule = solve(_near_and_far(0.0))
    near, far = schedule.plans
    assert near.power_kw[0] + far.power_kw[0] == pytest.approx(5.0)
    assert schedule.objective_eur == pytest.approx(1.0 + 2.0 * 6.0)


def test_the_completion_weight_stops_growing_below_a_tenth_of_a_kwh() -> None:
    p = problem(slot_duration_h=(1.0,), completion_weight_kwh=0.01, unmet_energy_penalty_eur_per_kwh=3.0)
    costs = [
        p.unmet_cost_eur_per_kwh(vehicle(name, available_h=(1.0,), energy_needed_kwh=need_kwh, priority=2.0))
        for name, need_kwh in (("a", 10.0), ("b", 0.1), ("c", 0.001), ("d", 0.0))
    ]
    assert costs == pytest.approx([3.0 * 2.0 * 1.001, 3.0 * 2.0 * 1.1, 3.0 * 2.0 * 1.1, 3.0 * 2.0 * 1.1])


@pytest.mark.parametrize(
    ("weight_eur_per_kw", "expected_power_kw", "expected_objective_eur"),
    [
        # Prices 0.2 / 0.1 alternate; 20 kWh at up to 10 kW. Swinging by 2a around 5 kW costs
        # 3.0 - 0.2 a in energy and 6 a x weight in changes.
        # 0.01 EUR/kW: swing fully, 2.00 + 3 changes x 10 kW x 0.01.
        (0.01, (0.0, 10.0, 0.0, 10.0), 2.3),
        # 0.06 EUR/kW: changes cost more than they save, a flat 5 kW for 3.00.
        (0.06, (5.0, 5.0, 5.0, 5.0), 3.0),
    ],
)
def test_power_changes_cost_their_weight(
    weight_eur_per_kw: float, expected_power_kw: tuple[float, ...], expected_objective_eur: float
) -> None:
    p = problem(
        slot_duration_h=(1.0,) * 4,
        import_price_eur_per_kwh=(0.2, 0.1, 0.2, 0.1),
        power_change_weight_eur_per_kw=weight_eur_per_kw,
        vehicles=[vehicle("car", available_h=(1.0,) * 4, max_power_kw=10.0, energy_needed_kwh=20.0)],
    )
    schedule = solve(p)
    assert schedule.plans[0].power_kw == pytest.approx(expected_power_kw, abs=1e-6)
    assert schedule.objective_eur == pytest.approx(expected_objective_eur)


def test_timings_add_up_to_no_more_than_the_call() -> None:
    schedule = solve(problem(slot_duration_h=(1.0,), vehicles=[vehicle("car", available_h=(1.0,))]))
    timings = schedule.timings
    parts_s = timings.build_s + timings.solve_s + timings.extract_s + timings.repair_s
    assert min(timings.build_s, timings.solve_s, timings.extract_s) > 0
    assert timings.repair_s == 0.0
    assert parts_s <= schedule.solve_time_s
