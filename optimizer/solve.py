"""Solve a ChargingProblem: validate, build the LP, run HiGHS, and fall back when that fails.

Each call builds its own model and solver, so calls may run in parallel worker threads.
"""

from __future__ import annotations

import dataclasses
import time

import pyomo.environ as pyo

from optimizer.evaluation import schedule_from_power
from optimizer.fallback import fallback_schedule
from optimizer.highs_backend import LpBackend, LpOutcome, solve_lp_with_highs
from optimizer.model import ChargeIndex, build_charge_index, build_model
from optimizer.problem import ChargingProblem
from optimizer.schedule import Schedule, SolveStatus
from optimizer.validation import check_problem

_COSTLIER_INCUMBENT = "solver stopped early with a plan costlier than the fallback"
_STATUS_OF_OUTCOME = {LpOutcome.OPTIMAL: SolveStatus.OPTIMAL, LpOutcome.FEASIBLE: SolveStatus.FEASIBLE}


def solve(
    problem: ChargingProblem,
    *,
    time_limit_s: float = 10.0,
    backend: LpBackend = solve_lp_with_highs,
) -> Schedule:
    """Plan charging power for every vehicle over the horizon at least cost.

    Parameters
    ----------
    problem
        The site and the vehicles. Checked first (:func:`~optimizer.validation.check_problem`).
    time_limit_s
        Time the LP solver may spend [s]; model building comes on top.
    backend
        The LP solver; HiGHS unless another is injected.

    Returns
    -------
    Schedule
        OPTIMAL or FEASIBLE from the solver; otherwise (infeasible, solver error or exception, time
        limit without a feasible point) the :func:`~optimizer.fallback.fallback_schedule` plan with
        status FALLBACK and the reason in ``termination``. A FEASIBLE plan that costs more than the
        fallback's is replaced by it. ``solve_time_s`` is the whole call.

    Raises
    ------
    ProblemError
        If the problem is inconsistent; the message names the field.
    ValueError
        If ``time_limit_s`` is negative or not a number.
    """
    started_s = time.perf_counter()
    check_problem(problem)
    if not time_limit_s >= 0:
        raise ValueError(f"time_limit_s: must be a number >= 0, got {time_limit_s}")
    try:
        index = build_charge_index(problem)
        model = build_model(problem, index)
        result = backend(model, time_limit_s=time_limit_s)
        status = _STATUS_OF_OUTCOME.get(result.outcome)
        if status is None:
            schedule = fallback_schedule(problem, reason=f"solver found no solution ({result.termination})")
        else:
            schedule = schedule_from_power(
                problem,
                _power_plans(problem, index, model),
                status=status,
                termination=result.termination,
                solve_time_s=0.0,
            )
            if status is SolveStatus.FEASIBLE:
                schedule = _cheaper_of(schedule, fallback_schedule(problem, reason=_COSTLIER_INCUMBENT))
    except Exception as error:  # any solver failure must still leave the site with a safe plan
        schedule = fallback_schedule(problem, reason=f"solver failed: {type(error).__name__}: {error}")
    return dataclasses.replace(schedule, solve_time_s=time.perf_counter() - started_s)


def _power_plans(problem: ChargingProblem, index: ChargeIndex, model: pyo.ConcreteModel) -> list[list[float]]:
    plans = [[0.0] * problem.n_slots for _ in problem.vehicles]
    power = model.charge_power_kw
    for v, t in index.pairs:
        value = power[v, t].value
        if value is None:
            raise RuntimeError(f"charge_power_kw[{v}, {t}] has no value after the solve")
        plans[v][t] = float(value)
    return plans


def _cheaper_of(incumbent: Schedule, fallback: Schedule) -> Schedule:
    if incumbent.objective_eur is None or fallback.objective_eur is None:
        return incumbent
    if fallback.objective_eur < incumbent.objective_eur:
        return dataclasses.replace(fallback, termination=f"{fallback.termination} ({incumbent.termination})")
    return incumbent
