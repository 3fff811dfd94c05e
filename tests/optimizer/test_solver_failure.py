"""When the solver gives no usable answer, the site still gets the safe fallback plan."""

from __future__ import annotations

import functools
import random
from concurrent.futures import ThreadPoolExecutor

import pyomo.environ as pyo
import pytest

from optimizer import ChargingProblem, SolveStatus, fallback_schedule, solve
from optimizer.highs_backend import LpOutcome, LpResult, solve_lp_with_highs
from tests.optimizer.factories import problem, vehicle
from tests.optimizer.invariants import assert_safe


def congested_evening(seed: int = 7, n_vehicles: int = 6, n_slots: int = 8) -> ChargingProblem:
    """More demand than headroom, prices that change every slot: the LP has real work to do."""
    rng = random.Random(seed)
    vehicles = []
    for i in range(n_vehicles):
        arrive = rng.randrange(n_slots - 2)
        stay = rng.randrange(2, n_slots - arrive + 1)
        available_h = tuple(1.0 if arrive <= t < arrive + stay else 0.0 for t in range(n_slots))
        vehicles.append(
            vehicle(f"v{i}", available_h=available_h, energy_needed_kwh=rng.uniform(10.0, 40.0), efficiency=0.92)
        )
    return problem(
        slot_duration_h=(1.0,) * n_slots,
        grid_import_limit_kw=30.0,
        base_load_kw=[rng.uniform(2.0, 10.0) for _ in range(n_slots)],
        import_price_eur_per_kwh=[rng.uniform(0.1, 0.3) for _ in range(n_slots)],
        vehicles=vehicles,
    )


def broken_backend(model: pyo.ConcreteModel, *, time_limit_s: float) -> LpResult:
    raise RuntimeError("solver process died")


def hopeless_backend(model: pyo.ConcreteModel, *, time_limit_s: float) -> LpResult:
    return LpResult(LpOutcome.NO_SOLUTION, "HiGHS: Infeasible")


def test_solver_exception_falls_back() -> None:
    p = congested_evening()
    schedule = solve(p, backend=broken_backend)
    assert schedule.status is SolveStatus.FALLBACK
    assert schedule.termination == "solver failed: RuntimeError: solver process died"
    assert schedule.plans == fallback_schedule(p, reason="any").plans
    assert_safe(p, schedule)


def test_no_solution_falls_back_with_the_solver_words() -> None:
    schedule = solve(congested_evening(), backend=hopeless_backend)
    assert schedule.status is SolveStatus.FALLBACK
    assert schedule.termination == "solver found no solution (HiGHS: Infeasible)"


def test_zero_time_limit_falls_back() -> None:
    p = congested_evening()
    without_presolve = functools.partial(solve_lp_with_highs, options={"presolve": "off"})
    schedule = solve(p, time_limit_s=0.0, backend=without_presolve)
    assert schedule.status is SolveStatus.FALLBACK
    assert "Time limit" in schedule.termination
    assert_safe(p, schedule)


def test_rejected_solver_option_falls_back() -> None:
    misconfigured = functools.partial(solve_lp_with_highs, options={"no_such_option": 1})
    schedule = solve(congested_evening(), backend=misconfigured)
    assert schedule.status is SolveStatus.FALLBACK
    assert "no_such_option" in schedule.termination


def test_interrupted_primal_simplex_gives_feasible_or_fallback_never_worse() -> None:
    # Primal simplex stays feasible once phase 1 is done: stopping it after k iterations gives, as k
    # grows, no solution, then feasible plans, then the optimum.
    p = congested_evening()
    optimum = solve(p)
    assert optimum.status is SolveStatus.OPTIMAL
    assert optimum.objective_eur is not None
    fallback_eur = fallback_schedule(p, reason="reference").objective_eur
    assert fallback_eur is not None
    seen: set[SolveStatus] = set()
    for iterations in range(0, 120, 2):
        primal = functools.partial(
            solve_lp_with_highs,
            options={"presolve": "off", "simplex_strategy": 4, "simplex_iteration_limit": iterations},
        )
        schedule = solve(p, backend=primal)
        seen.add(schedule.status)
        assert schedule.objective_eur is not None
        assert_safe(p, schedule)
        if schedule.status is SolveStatus.FEASIBLE:
            assert "Iteration limit" in schedule.termination
            assert optimum.objective_eur - 1e-6 <= schedule.objective_eur <= fallback_eur
    assert seen == {SolveStatus.FALLBACK, SolveStatus.FEASIBLE, SolveStatus.OPTIMAL}


def test_parallel_solves_in_threads_match_serial_ones() -> None:
    problems = [congested_evening(seed, n_vehicles=12, n_slots=16) for seed in range(6)]
    serial = [solve(p) for p in problems]
    with ThreadPoolExecutor(max_workers=3) as pool:
        parallel = list(pool.map(solve, problems))
    for one, other in zip(serial, parallel, strict=True):
        assert other.status is SolveStatus.OPTIMAL
        assert other.objective_eur == pytest.approx(one.objective_eur, abs=1e-6)
        assert [p.unmet_energy_kwh for p in other.plans] == pytest.approx([p.unmet_energy_kwh for p in one.plans])
