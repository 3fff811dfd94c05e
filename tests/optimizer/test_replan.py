"""Re-planning: warm updates give what a cold build gives, structure changes go cold, failures fall back."""

from __future__ import annotations

import dataclasses
import random

import highspy
import numpy as np
import pytest

from optimizer import ChargingProblem, PhasorLimit, Replanner, ReplanStart, SolveStatus, solve
from optimizer.charge_index import build_charge_index
from optimizer.coefficients import lp_coefficients, structure_key
from optimizer.highs_backend import new_highs
from optimizer.lp_assembly import assemble_lp
from optimizer.lp_layout import LpValues, compiled_values, lp_values, push_changes
from tests.optimizer.factories import problem, vehicle
from tests.optimizer.invariants import assert_safe

N_SLOTS = 8
TAPER = ((0.0, 22.0), (0.8, 22.0), (1.0, 3.0))


def full_site(seed: int) -> ChargingProblem:
    """Every optional block present: taper, phasor rows, fairness, power changes, peak, export limit,
    completion weight."""
    rng = random.Random(seed)
    vehicles = []
    for i in range(6):
        arrive = rng.randrange(3)
        leave = rng.randrange(arrive + 2, N_SLOTS + 1)
        available_h = [0.5 if arrive <= t < leave else 0.0 for t in range(N_SLOTS)]
        available_h[leave - 1] *= rng.choice((1.0, 0.6))
        vehicles.append(
            vehicle(
                f"v{i}",
                available_h=available_h,
                max_power_kw=22.0,
                energy_needed_kwh=rng.uniform(5.0, 25.0),
                priority=rng.choice((1.0, 3.0)),
                efficiency=0.9,
                battery_kwh=50.0 if i % 2 else None,
                initial_soc=rng.uniform(0.3, 0.7) if i % 2 else None,
                taper=TAPER if i % 2 else (),
                expected=i == 5,
            )
        )
    return problem(
        slot_duration_h=(0.5,) * N_SLOTS,
        vehicles=vehicles,
        grid_import_limit_kw=[rng.uniform(30.0, 60.0) for _ in range(N_SLOTS)],
        base_load_kw=[rng.uniform(5.0, 15.0) for _ in range(N_SLOTS)],
        pv_kw=[rng.uniform(0.0, 30.0) for _ in range(N_SLOTS)],
        import_price_eur_per_kwh=[rng.uniform(0.1, 0.3) for _ in range(N_SLOTS)],
        export_price_eur_per_kwh=0.05,
        export_limit_kw=10.0,
        phasor_limits=[
            PhasorLimit("cabinet", (("CP-v0/1", 1.0), ("CP-v1/1", 1.0)), limit=30.0),
            PhasorLimit("line", (("CP-v2/1", 1.0 + 1.0j), ("CP-v3/1", 1.0 - 0.5j)), limit=25.0, facets=8),
        ],
        capacity_charge_eur_per_kw=0.5,
        peak_import_so_far_kw=20.0,
        peak_margin_kw=[rng.uniform(0.0, 10.0) for _ in range(N_SLOTS)],
        fairness_weight_eur=0.2,
        power_change_weight_eur_per_kw=0.002,
        completion_weight_kwh=0.01,
    )


def same_structure_changes(p: ChargingProblem, seed: int) -> ChargingProblem:
    """New needs, SoC, maximum powers, departures within the last slot, prices, limits, forecasts
    and charges: everything but the structure."""
    rng = random.Random(seed)
    vehicles = []
    for v in p.vehicles:
        last = max(t for t, h in enumerate(v.available_h) if h > 0)
        hours = list(v.available_h)
        hours[last] = 0.5 * rng.uniform(0.2, 1.0)
        changed = dataclasses.replace(v, available_h=tuple(hours))
        if v.battery_kwh is not None and v.initial_soc is not None:
            # a meter value: a little more charge, as much less need (the taper's rows stay)
            charged_kwh = rng.uniform(0.0, min(2.0, v.energy_needed_kwh / 2))
            changed = dataclasses.replace(
                changed,
                initial_soc=v.initial_soc + charged_kwh / v.battery_kwh,
                energy_needed_kwh=v.energy_needed_kwh - charged_kwh,
            )
        else:
            changed = dataclasses.replace(
                changed,
                energy_needed_kwh=v.energy_needed_kwh * rng.uniform(0.7, 1.0),
                max_power_kw=rng.choice((11.0, 22.0)),
            )
        vehicles.append(changed)
    return dataclasses.replace(
        p,
        vehicles=tuple(vehicles),
        import_price_eur_per_kwh=tuple(x * rng.uniform(0.8, 1.2) for x in p.import_price_eur_per_kwh),
        grid_import_limit_kw=tuple(x * rng.uniform(0.7, 1.0) for x in p.grid_import_limit_kw),
        base_load_kw=tuple(x * rng.uniform(0.8, 1.2) for x in p.base_load_kw),
        pv_kw=tuple(x * rng.uniform(0.5, 1.0) for x in p.pv_kw),
        export_limit_kw=tuple(rng.uniform(0.0, 10.0) for _ in p.export_limit_kw),
        phasor_limits=tuple(
            dataclasses.replace(limit, limit=limit.limit * rng.uniform(0.5, 1.0)) for limit in p.phasor_limits
        ),
        unmet_energy_penalty_eur_per_kwh=rng.uniform(1.0, 3.0),
        capacity_charge_eur_per_kw=rng.uniform(0.1, 1.0),
        peak_import_so_far_kw=rng.uniform(10.0, 30.0),
        peak_margin_kw=tuple(rng.uniform(0.0, 10.0) for _ in p.peak_margin_kw),
        fairness_weight_eur=rng.uniform(0.05, 0.5),
        power_change_weight_eur_per_kw=rng.uniform(0.001, 0.01),
        completion_weight_kwh=rng.uniform(0.005, 0.05),
    )


@pytest.mark.parametrize("seed", range(4))
def test_updated_lp_equals_a_fresh_build(seed: int) -> None:
    first = full_site(seed)
    second = same_structure_changes(first, seed + 100)
    index, next_index = build_charge_index(first), build_charge_index(second)
    assert structure_key(first, index, lp_coefficients(first, index)) == structure_key(
        second, next_index, lp_coefficients(second, next_index)
    )
    compiled = assemble_lp(index, lp_coefficients(first, index))
    layout = compiled.layout
    before = compiled_values(layout, compiled.lp)
    assert _same(lp_values(layout, lp_coefficients(first, index), before), before)

    fresh = assemble_lp(next_index, lp_coefficients(second, next_index))
    highs = new_highs(10.0)
    highs.passModel(compiled.lp)
    after = lp_values(layout, lp_coefficients(second, next_index), before)
    assert push_changes(highs, layout, before, after) > 0
    updated = highs.getLp()
    for name in ("col_cost_", "col_lower_", "col_upper_", "row_lower_", "row_upper_"):
        assert np.array_equal(np.asarray(getattr(updated, name)), np.asarray(getattr(fresh.lp, name))), name
    assert updated.offset_ == pytest.approx(fresh.lp.offset_)
    assert np.array_equal(dense_matrix(updated), dense_matrix(fresh.lp))


def _same(one: LpValues, other: LpValues) -> bool:
    return all(np.array_equal(getattr(one, f.name), getattr(other, f.name)) for f in dataclasses.fields(one))


def dense_matrix(lp: highspy.HighsLp) -> np.ndarray:
    """The LP's constraint matrix as a dense array, whichever way HiGHS stores it."""
    a = lp.a_matrix_
    colwise = a.format_ == highspy.MatrixFormat.kColwise
    dense = np.zeros((lp.num_row_, lp.num_col_))
    start, index, value = list(a.start_), list(a.index_), list(a.value_)
    for outer in range(len(start) - 1):
        for k in range(start[outer], start[outer + 1]):
            row, column = (index[k], outer) if colwise else (outer, index[k])
            dense[row, column] = value[k]
    return dense


def started(replanner: Replanner) -> ReplanStart | None:
    """How the last re-plan started (read through a call, so each check reads it afresh)."""
    return replanner.last_start


def test_warm_and_cold_give_the_same_plans() -> None:
    replanner = Replanner()
    p = full_site(7)
    first = replanner.solve(p)
    assert started(replanner) is ReplanStart.COLD
    assert first.objective_eur == pytest.approx(solve(p).objective_eur, abs=1e-6)
    for step in range(5):
        p = same_structure_changes(p, step)
        warm = replanner.solve(p)
        cold = solve(p)
        assert started(replanner) is ReplanStart.WARM
        assert replanner.last_changed > 0
        assert warm.status is SolveStatus.OPTIMAL
        # equal up to HiGHS's optimality tolerance: degenerate optima may differ in the last digits
        assert warm.lp_objective_eur == pytest.approx(cold.lp_objective_eur, abs=1e-5)
        assert warm.objective_eur == pytest.approx(cold.objective_eur, abs=1e-5)
        assert_safe(p, warm)


def test_structure_changes_are_built_cold() -> None:
    replanner = Replanner()
    p = full_site(3)
    replanner.solve(p)
    arrived = dataclasses.replace(p, vehicles=(*p.vehicles, vehicle("new", available_h=(0.5,) * N_SLOTS)))
    schedule = replanner.solve(arrived)
    assert started(replanner) is ReplanStart.COLD
    assert schedule.objective_eur == pytest.approx(solve(arrived).objective_eur, abs=1e-6)
    replanner.solve(arrived)
    assert started(replanner) is ReplanStart.WARM
    replanner.reset()
    replanner.solve(arrived)
    assert started(replanner) is ReplanStart.COLD


def test_a_failed_solve_falls_back_and_the_next_one_starts_cold() -> None:
    replanner = Replanner(options={"presolve": "off"})
    p = full_site(5)
    assert replanner.solve(p).status is SolveStatus.OPTIMAL
    failed = replanner.solve(same_structure_changes(p, 1), time_limit_s=0.0)
    assert failed.status is SolveStatus.FALLBACK
    assert "Time limit" in failed.termination
    assert started(replanner) is ReplanStart.FALLBACK
    assert_safe(same_structure_changes(p, 1), failed)
    assert replanner.solve(p).status is SolveStatus.OPTIMAL
    assert started(replanner) is ReplanStart.COLD


def test_dispatchable_re_plans() -> None:
    p = full_site(2)
    replanner = Replanner()
    schedule = replanner.solve(p, dispatchable=True)
    assert schedule.dispatchable
    assert schedule.objective_eur == pytest.approx(solve(p, dispatchable=True).objective_eur, abs=1e-6)
