"""The speed floor solves the optimiser's LP: same optimum, on hand-made and on random problems."""

from __future__ import annotations

import dataclasses

import pyomo.environ as pyo
import pytest
from hypothesis import given, settings

from benchmarks.speed.floor import build_lp, core_problem, solve_floor
from benchmarks.speed.lean_pyomo import lean_model, solve_lean_pyomo
from benchmarks.speed.snapshot import scaled_site, take_snapshot
from benchmarks.speed.stats import repeat, time_stats
from optimizer import ChargingProblem, VehicleRequest, solve
from optimizer.charge_index import NEGLIGIBLE_NEED_KWH
from optimizer.evaluation import make_safe, plan_cost_eur
from optimizer.highs_backend import LpOutcome, solve_lp_with_highs
from optimizer.model import TIE_BREAK_EUR_PER_KWH_PER_SLOT, build_charge_index, build_model
from optimizer.problem import PhasorLimit
from tests.benchmarks.speed_factories import START, core_lp_problem, problems


def _model_objective_eur(problem: ChargingProblem) -> float:
    """The optimum of the optimiser's own Pyomo model, tie-break included."""
    model = build_model(problem, build_charge_index(problem))
    assert solve_lp_with_highs(model, time_limit_s=30.0).outcome is LpOutcome.OPTIMAL
    objective = next(model.component_data_objects(pyo.Objective, active=True))
    return float(pyo.value(objective))


def test_one_vehicle_charges_in_the_cheap_hour_and_pays_for_it() -> None:
    # 9.2 kWh into the battery at 92 % is 10 kWh from the grid, 10 kW for the first hour at 0.10 EUR/kWh.
    van = VehicleRequest("van", "CP1/1", 11.0, 9.2, (1.0, 1.0), priority=2.0, efficiency=0.92)
    problem = core_lp_problem([1.0, 1.0], [van], price=[0.10, 0.30])

    result = solve_floor(problem)

    assert result.model_status == "Optimal"
    assert result.power_kw[0].tolist() == pytest.approx([10.0, 0.0], abs=1e-7)
    assert result.objective_eur == pytest.approx(1.0, abs=1e-9)


def test_a_need_beyond_the_grid_limit_is_left_unmet_at_the_penalty() -> None:
    # 5 kW of headroom for 2 h delivers 10 kWh of the 15 wanted (efficiency 1). Bill: 25 kW (base and car)
    # for 2 h at 0.2 EUR/kWh = 10 EUR; 5 kWh unmet at 2 EUR/kWh x priority 3 = 30 EUR; the tie-break on the
    # second hour's 5 kWh is 5e-6 EUR.
    car = VehicleRequest("car", "CP1/1", 22.0, 15.0, (1.0, 1.0), priority=3.0, efficiency=1.0)
    problem = core_lp_problem([1.0, 1.0], [car], limit_kw=[25.0, 25.0], base_kw=[20.0, 20.0])

    result = solve_floor(problem)

    assert result.power_kw[0].tolist() == pytest.approx([5.0, 5.0], abs=1e-7)
    assert result.objective_eur == pytest.approx(10.0 + 30.0 + TIE_BREAK_EUR_PER_KWH_PER_SLOT * 5.0, abs=1e-9)


def test_a_negligible_need_is_left_unmet_as_the_optimiser_leaves_it() -> None:
    # 1e-6 kWh is the optimiser's negligible need: no charging variables, the need left unmet at
    # 1 EUR/kWh x priority 0.5, although free PV could meet it. The floor must state the same LP.
    car = VehicleRequest("car", "CP1/1", 3.7, NEGLIGIBLE_NEED_KWH, (0.25, 0.0), priority=0.5, efficiency=1.0)
    problem = core_lp_problem(
        [0.25, 0.25], [car], limit_kw=[0.0, 0.0], pv_kw=[1.0, 0.0], firm_share=1.0, price=[0.0, 0.0]
    )
    problem = dataclasses.replace(problem, unmet_energy_penalty_eur_per_kwh=1.0)

    result = solve_floor(problem)

    assert not result.power_kw.any()
    assert result.objective_eur == pytest.approx(0.5 * NEGLIGIBLE_NEED_KWH, rel=1e-9)
    assert result.objective_eur == pytest.approx(_model_objective_eur(problem), rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_the_floor_reaches_the_optimum_of_the_optimisers_model(problem: ChargingProblem) -> None:
    floor = solve_floor(problem)

    assert floor.objective_eur == pytest.approx(_model_objective_eur(problem), rel=1e-7, abs=1e-7)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_the_floors_plan_costs_what_optimizer_solve_reports(problem: ChargingProblem) -> None:
    floor_plan = make_safe(problem, solve_floor(problem).power_kw.tolist())
    schedule = solve(problem)

    # Two optimal plans may differ only in how they break ties, worth at most the tie-break term.
    slots = problem.n_slots
    tie_break_bound_eur = sum(TIE_BREAK_EUR_PER_KWH_PER_SLOT * slots * v.energy_needed_kwh for v in problem.vehicles)
    assert schedule.objective_eur is not None
    assert plan_cost_eur(problem, floor_plan) == pytest.approx(schedule.objective_eur, abs=tie_break_bound_eur + 1e-6)


@settings(max_examples=25, deadline=None)
@given(problems())
def test_the_lean_pyomo_model_is_the_floors_lp(problem: ChargingProblem) -> None:
    lp, _, _ = build_lp(problem)
    model = lean_model(lp)

    assert len(model.x) == lp.col_cost.size
    assert len(model.rows) == lp.row_lower.size
    assert solve_lean_pyomo(problem).objective_eur == pytest.approx(
        solve_floor(problem).objective_eur, rel=1e-7, abs=1e-7
    )


def test_the_floor_refuses_a_problem_with_terms_it_does_not_model() -> None:
    car = VehicleRequest("car", "CP1/1", 11.0, 5.0, (1.0,))
    limit = PhasorLimit("cabinet", (("CP1/1", 1.0),), 5.0)
    problem = dataclasses.replace(core_lp_problem([1.0], [car]), phasor_limits=(limit,))

    with pytest.raises(ValueError, match=r"^phasor_limits"):
        solve_floor(problem)


def test_timing_summary_reads_like_the_samples() -> None:
    stats = time_stats([float(s) for s in range(1, 11)])

    assert (stats.median_s, stats.min_s, stats.repeats) == (5.5, 1.0, 10)
    assert stats.p90_s == pytest.approx(9.1)
    with pytest.raises(ValueError, match="samples_s"):
        time_stats([])


def test_repeat_runs_at_least_once_and_at_most_the_count() -> None:
    assert repeat(lambda: 1, repeats=4, budget_s=60.0) == [1, 1, 1, 1]
    assert repeat(lambda: 1, repeats=4, budget_s=0.0) == [1]


def test_a_scaled_site_keeps_milans_mix_with_a_charger_for_every_vehicle() -> None:
    site = scaled_site(720)
    snapshot = take_snapshot(site, START, seed=1)

    assert len(site.vehicles) == len(site.charge_points) == 720
    assert sum(c.kind == "DC" for c in site.charge_points) == 240
    assert site.site.grid.import_limit_kw == pytest.approx(6000.0)
    assert len(snapshot.transactions) == 720
    assert all(snapshot.bookings[v.id] for v in site.vehicles if v.vehicle_class == "van")
    with pytest.raises(ValueError, match="n_vehicles"):
        scaled_site(100)


def test_the_core_problem_drops_the_optional_terms_and_keeps_the_rest() -> None:
    van = VehicleRequest(
        "van", "CP1/1", 11.0, 9.2, (1.0, 1.0), battery_kwh=79.0, initial_soc=0.5, taper=((0.0, 11.0), (1.0, 1.1))
    )
    full = dataclasses.replace(core_lp_problem([1.0, 1.0], [van], price=[0.10, 0.30]), capacity_charge_eur_per_kw=4.5)

    core = core_problem(full)

    assert core.capacity_charge_eur_per_kw == 0.0
    assert (core.vehicles[0].taper, core.vehicles[0].battery_kwh, core.vehicles[0].initial_soc) == ((), None, None)
    assert core.vehicles[0].available_h == van.available_h
    assert solve_floor(core).objective_eur == pytest.approx(1.0, abs=1e-9)
    with pytest.raises(ValueError, match=r"^capacity_charge_eur_per_kw"):
        solve_floor(full)
