"""The leanest Pyomo path for the floor's LP: what any Pyomo model of it costs before and around HiGHS.

The floor's own arrays (:func:`benchmarks.speed.floor.build_lp`) become one Pyomo variable per
column and one constraint per row, each a ``LinearExpression`` of the row's entries (the
objective too): no rules, no sets, no named terms. The model is compiled by the optimiser's
``compile_lp`` (Pyomo's ``LinearStandardFormCompiler``) and solved by HiGHS with the floor's
options. Whatever a Pyomo path adds to the floor, this one adds the least, so its time bounds
from below the time of any Pyomo path on this LP.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.core.expr.numeric_expr import LinearExpression

from benchmarks.speed.floor import FloorLp, build_lp
from optimizer import ChargingProblem
from optimizer.highs_backend import compile_lp, new_highs


@dataclass(frozen=True, slots=True)
class LeanPyomoResult:
    objective_eur: float
    """HiGHS's objective [EUR], the floor's LP objective when both are optimal."""
    arrays_s: float
    """The floor's arrays [s]."""
    model_s: float
    """The Pyomo model from them [s]."""
    compile_s: float
    """``compile_lp``: the model back to matrices [s]."""
    run_s: float
    """HiGHS [s]."""

    @property
    def total_s(self) -> float:
        return self.arrays_s + self.model_s + self.compile_s + self.run_s


def lean_model(lp: FloorLp) -> pyo.ConcreteModel:
    """The LP as a Pyomo model, one ``LinearExpression`` per row."""
    model = pyo.ConcreteModel()
    n_columns = lp.col_cost.size
    lower = [None if math.isinf(b) else float(b) for b in lp.col_lower]
    upper = [None if math.isinf(b) else float(b) for b in lp.col_upper]
    model.x = pyo.Var(range(n_columns), bounds=lambda _, j: (lower[j], upper[j]))
    columns = [model.x[j] for j in range(n_columns)]
    rows = _row_entries(lp)

    def row(_: pyo.ConcreteModel, r: int) -> tuple[float | None, LinearExpression, float | None]:
        indices, values = rows[r]
        low, high = lp.row_lower[r], lp.row_upper[r]
        body = LinearExpression(constant=0.0, linear_coefs=values, linear_vars=[columns[j] for j in indices])
        return (None if math.isinf(low) else float(low), body, None if math.isinf(high) else float(high))

    model.rows = pyo.Constraint(range(lp.row_lower.size), rule=row)
    model.cost = pyo.Objective(
        expr=LinearExpression(constant=0.0, linear_coefs=lp.col_cost.tolist(), linear_vars=columns)
    )
    return model


def _row_entries(lp: FloorLp) -> list[tuple[list[int], list[float]]]:
    """Each row's column indices and values, from the column-wise arrays."""
    n_columns = lp.col_cost.size
    columns = np.repeat(np.arange(n_columns), np.diff(lp.a_start))
    order = np.argsort(lp.a_index, kind="stable")
    row_starts = np.searchsorted(lp.a_index[order], np.arange(lp.row_lower.size + 1))
    sorted_columns, sorted_values = columns[order].tolist(), lp.a_value[order].tolist()
    return [
        (sorted_columns[row_starts[r] : row_starts[r + 1]], sorted_values[row_starts[r] : row_starts[r + 1]])
        for r in range(lp.row_lower.size)
    ]


def solve_lean_pyomo(problem: ChargingProblem, *, time_limit_s: float = 60.0) -> LeanPyomoResult:
    """Build, compile and solve the floor's LP through the leanest Pyomo model.

    Raises
    ------
    RuntimeError
        If HiGHS rejects the compiled LP or does not prove it optimal.
    """
    started_s = time.perf_counter()
    lp, _, _ = build_lp(problem)
    arrays_s = time.perf_counter()
    with PauseGC():  # as Pyomo's own writers do: the model is many small objects, none of them garbage
        model = lean_model(lp)
    modelled_s = time.perf_counter()
    compiled = compile_lp(model)
    compiled_s = time.perf_counter()
    highs = new_highs(time_limit_s)
    if highs.passModel(compiled.lp) == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the compiled LP")
    highs.run()
    ran_s = time.perf_counter()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"HiGHS did not solve the LP: {highs.modelStatusToString(highs.getModelStatus())}")
    return LeanPyomoResult(
        objective_eur=float(highs.getInfo().objective_function_value),
        arrays_s=arrays_s - started_s,
        model_s=modelled_s - arrays_s,
        compile_s=compiled_s - modelled_s,
        run_s=ran_s - compiled_s,
    )
