"""Solve a ChargingProblem: validate, build the LP, run HiGHS, and fall back when that fails.

Each call builds its own model and solver, so calls may run in parallel worker threads. For repeated
solves of one site, :class:`optimizer.replan.Replanner` keeps the solver between calls.
"""

from __future__ import annotations

import dataclasses
import time

import highspy
import numpy as np
import numpy.typing as npt
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from optimizer.charge_index import ChargeIndex, build_charge_index
from optimizer.coefficients import LpCoefficients, lp_coefficients
from optimizer.costs import PowerPlan
from optimizer.evaluation import schedule_from_power
from optimizer.fallback import fallback_schedule
from optimizer.highs_backend import LpBackend, LpOutcome, LpResult, new_highs, run_highs
from optimizer.lp_assembly import assemble_lp
from optimizer.model import build_model
from optimizer.problem import ChargingProblem
from optimizer.repair import dispatchable as make_dispatchable
from optimizer.schedule import Schedule, SolveStatus, SolveTimings
from optimizer.validation import check_problem

COSTLIER_INCUMBENT = "solver stopped early with a plan costlier than the fallback"
STATUS_OF_OUTCOME = {LpOutcome.OPTIMAL: SolveStatus.OPTIMAL, LpOutcome.FEASIBLE: SolveStatus.FEASIBLE}


def solve(
    problem: ChargingProblem,
    *,
    time_limit_s: float = 10.0,
    backend: LpBackend | None = None,
    dispatchable: bool = False,
) -> Schedule:
    """Plan charging power for every vehicle over the horizon at least cost.

    Parameters
    ----------
    problem
        The site and the vehicles. Checked first (:func:`~optimizer.validation.check_problem`).
    time_limit_s
        Time the LP solver may spend [s]; model building comes on top.
    backend
        Solve the Pyomo model (:func:`optimizer.model.build_model`) with this backend (e.g.
        :func:`~optimizer.highs_backend.solve_lp_with_highs`). By default the same LP is assembled
        straight into HiGHS's matrices (:func:`optimizer.lp_assembly.assemble_lp`), which is faster.
    dispatchable
        Turn the LP's powers into setpoints chargers can follow (:func:`optimizer.repair.dispatchable`):
        0 or at least ``min_power_kw``, in steps of ``power_step_kw``.

    Returns
    -------
    Schedule
        OPTIMAL or FEASIBLE from the solver; otherwise (infeasible, solver error or exception, time
        limit without a feasible point) the :func:`~optimizer.fallback.fallback_schedule` plan with
        status FALLBACK and the reason in ``termination``. A FEASIBLE plan that costs more than the
        fallback's is replaced by it. ``solve_time_s`` is the whole call, ``timings`` its parts,
        ``lp_objective_eur`` the LP optimum when there is one.

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
    timings = SolveTimings()
    try:
        index = build_charge_index(problem)
        coefficients = lp_coefficients(problem, index)
        power_kw: PowerPlan = []
        if backend is None:
            assembled = assemble_lp(index, coefficients)
            highs = new_highs(time_limit_s)
            if assembled.pass_to(highs) == highspy.HighsStatus.kError:
                raise RuntimeError("HiGHS rejected the model")
            built_s = time.perf_counter()
            outcome, termination = run_highs(highs)
            result = LpResult(outcome, termination)
            if outcome is not LpOutcome.NO_SOLUTION:
                result = LpResult(outcome, termination, float(highs.getInfo().objective_function_value))
                column_values = np.asarray(highs.getSolution().col_value, dtype=np.float64)
                power_kw = power_from_columns(problem, index, column_values[assembled.layout.power_columns])
        else:
            with PauseGC():  # as Pyomo's own writers do: many small objects, none of them garbage
                model = build_model(problem, index, coefficients)
            built_s = time.perf_counter()
            result = backend(model, time_limit_s=time_limit_s)
            if result.outcome is not LpOutcome.NO_SOLUTION:
                power_kw = power_plans(problem, index, model)
        solved_s = time.perf_counter()
        timings = SolveTimings(build_s=built_s - started_s, solve_s=solved_s - built_s)
        status = STATUS_OF_OUTCOME.get(result.outcome)
        if status is None:
            schedule = fallback_schedule(problem, reason=f"solver found no solution ({result.termination})")
        else:
            schedule = schedule_from_power(
                problem,
                power_kw,
                status=status,
                termination=result.termination,
                solve_time_s=0.0,
                lp_objective_eur=lp_objective_eur(result.objective, coefficients, index, power_kw),
            )
            if status is SolveStatus.FEASIBLE:
                schedule = cheaper_of(schedule, fallback_schedule(problem, reason=COSTLIER_INCUMBENT))
        timings = dataclasses.replace(timings, extract_s=time.perf_counter() - solved_s)
    except Exception as error:  # any solver failure must still leave the site with a safe plan
        schedule = fallback_schedule(problem, reason=f"solver failed: {type(error).__name__}: {error}")
    return finish(schedule, problem, started_s=started_s, timings=timings, dispatchable=dispatchable)


def finish(
    schedule: Schedule, problem: ChargingProblem, *, started_s: float, timings: SolveTimings, dispatchable: bool
) -> Schedule:
    """Repair into setpoints when asked, and stamp the timings."""
    if dispatchable:
        repair_started_s = time.perf_counter()
        schedule = make_dispatchable(schedule, problem)
        timings = dataclasses.replace(timings, repair_s=time.perf_counter() - repair_started_s)
    return dataclasses.replace(schedule, solve_time_s=time.perf_counter() - started_s, timings=timings)


def power_plans(problem: ChargingProblem, index: ChargeIndex, model: pyo.ConcreteModel) -> list[list[float]]:
    """The LP's charging power per vehicle and slot [kW] (0 where there is no variable)."""
    plans = [[0.0] * problem.n_slots for _ in problem.vehicles]
    power = model.charge_power_kw
    for v, t in index.pairs:
        value = power[v, t].value
        if value is None:
            raise RuntimeError(f"charge_power_kw[{v}, {t}] has no value after the solve")
        plans[v][t] = float(value)
    return plans


def power_from_columns(
    problem: ChargingProblem, index: ChargeIndex, pair_power_kw: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Charging power per vehicle and slot [kW] from the values of the pairs' columns, in pair order."""
    if pair_power_kw.shape != index.pair_vehicles.shape:
        raise ValueError(f"pair_power_kw: {pair_power_kw.size} values for {index.pair_vehicles.size} pairs")
    plans = np.zeros((len(problem.vehicles), problem.n_slots))
    plans[index.pair_vehicles, index.pair_slots] = pair_power_kw
    return plans


def lp_objective_eur(
    objective: float | None, coefficients: LpCoefficients, index: ChargeIndex, power_kw: PowerPlan
) -> float | None:
    """The LP's objective [EUR] without its tie-break, from the backend's reported value."""
    if objective is None or not index.pairs:
        return objective
    pair_power_kw = np.asarray(power_kw, dtype=np.float64)[index.pair_vehicles, index.pair_slots]
    return float(objective - coefficients.tie_cost @ pair_power_kw)


def cheaper_of(incumbent: Schedule, fallback: Schedule) -> Schedule:
    """The solver's early-stopped plan, or the fallback's when that costs less."""
    if incumbent.objective_eur is None or fallback.objective_eur is None:
        return incumbent
    if fallback.objective_eur < incumbent.objective_eur:
        return dataclasses.replace(fallback, termination=f"{fallback.termination} ({incumbent.termination})")
    return incumbent
