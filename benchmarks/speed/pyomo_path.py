"""The stock way to solve the charging model: Pyomo's own HiGHS interface, ``SolverFactory('highs')``.

The model is the optimiser's rule-based Pyomo model (:func:`optimizer.model.build_model`); only the
solver interface differs from :func:`optimizer.solve`, which compiles the model to matrices itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyomo.environ as pyo

from optimizer import ChargingProblem
from optimizer.model import build_charge_index, build_model


@dataclass(frozen=True, slots=True)
class PyomoPathResult:
    objective_eur: float
    """The model's objective at the solution, tie-break included [EUR]."""
    termination: str
    build_s: float
    """Charge index and Pyomo model [s]."""
    solve_s: float
    """The interface's solve, loading the solution into the model [s]."""
    read_s: float
    """Reading every charging power back from the model [s]."""

    @property
    def total_s(self) -> float:
        return self.build_s + self.solve_s + self.read_s


def solve_with_solver_factory(problem: ChargingProblem, *, time_limit_s: float = 60.0) -> PyomoPathResult:
    """Build the optimiser's model and solve it through ``pyomo.environ.SolverFactory('highs')``.

    Parameters
    ----------
    problem
        A valid charging problem.
    time_limit_s
        HiGHS's time limit [s].

    Raises
    ------
    RuntimeError
        If the solver does not report an optimal solution.
    """
    started_s = time.perf_counter()
    index = build_charge_index(problem)
    model = build_model(problem, index)
    built_s = time.perf_counter()
    result = pyo.SolverFactory("highs").solve(model, timelimit=time_limit_s)
    solved_s = time.perf_counter()
    termination = str(result.solver.termination_condition)
    if result.solver.termination_condition != pyo.TerminationCondition.optimal:
        raise RuntimeError(f"SolverFactory('highs') did not solve the model: {termination}")
    power = model.charge_power_kw
    plans = [[0.0] * problem.n_slots for _ in problem.vehicles]
    for v, t in index.pairs:
        plans[v][t] = float(power[v, t].value or 0.0)
    read_s = time.perf_counter()
    return PyomoPathResult(
        objective_eur=float(pyo.value(model.total_cost_eur)),
        termination=termination,
        build_s=built_s - started_s,
        solve_s=solved_s - built_s,
        read_s=read_s - solved_s,
    )
