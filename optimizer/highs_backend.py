"""Solve a linear Pyomo model with HiGHS: compile it to matrices, pass them to highspy in one call.

Pyomo's ``LinearStandardFormCompiler`` walks the model once into sparse matrices, which costs less
than Pyomo's solver interfaces building the HiGHS model row by row. Any callable with the
:class:`LpBackend` signature can stand in for :func:`solve_lp_with_highs`. The pieces
(:func:`compile_lp`, :func:`new_highs`, :func:`run_highs`) are public for the re-planner, which keeps
one HiGHS instance alive between solves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import highspy
import numpy as np
import numpy.typing as npt
import pyomo.environ as pyo
from pyomo.core.base.var import VarData
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler, RowEntry

try:
    # highspy's core class, without the Python wrapper: the wrapper's constructor prints the HiGHS
    # banner to stdout before any option can silence it. Private, so fall back to the public class.
    from highspy._core import _Highs as _HighsSolver
except ImportError:  # pragma: no cover - depends on the installed highspy
    from highspy import Highs as _HighsSolver

HighsSolver = _HighsSolver
"""The HiGHS class in use (the core one when available)."""


def pass_lp_arrays(
    highs: HighsSolver,
    *,
    offset: float,
    col_cost: npt.NDArray[np.float64],
    col_lower: npt.NDArray[np.float64],
    col_upper: npt.NDArray[np.float64],
    row_lower: npt.NDArray[np.float64],
    row_upper: npt.NDArray[np.float64],
    a_start: npt.NDArray[np.int32],
    a_index: npt.NDArray[np.int32],
    a_value: npt.NDArray[np.float64],
) -> highspy.HighsStatus:
    """Hand ``highs`` a continuous LP (minimised) as column-wise arrays, ``a_start`` with one entry
    per column and a last one, ``a_index.size``.

    A ``HighsLp`` would have pybind11 copy every number one at a time (about 0.9 ms of the Milan
    site's 4.6 ms solve); the array overload of ``passModel`` takes the buffers as they are.
    """
    n_columns = int(col_cost.size)
    status: highspy.HighsStatus = highs.passModel(
        n_columns,
        int(row_lower.size),
        int(a_index.size),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        float(offset),
        np.ascontiguousarray(col_cost, dtype=np.float64),
        np.ascontiguousarray(col_lower, dtype=np.float64),
        np.ascontiguousarray(col_upper, dtype=np.float64),
        np.ascontiguousarray(row_lower, dtype=np.float64),
        np.ascontiguousarray(row_upper, dtype=np.float64),
        np.ascontiguousarray(a_start[:-1], dtype=np.int32),
        np.ascontiguousarray(a_index, dtype=np.int32),
        np.ascontiguousarray(a_value, dtype=np.float64),
        np.zeros(n_columns, dtype=np.int32),  # every column continuous
    )
    return status


class LpOutcome(StrEnum):
    """What an LP backend left in the model's variables."""

    OPTIMAL = "optimal"
    """A proven optimal solution."""
    FEASIBLE = "feasible"
    """A primal feasible solution found before a limit stopped the solver."""
    NO_SOLUTION = "no_solution"
    """Nothing usable: the variable values are meaningless."""


@dataclass(frozen=True, slots=True)
class LpResult:
    outcome: LpOutcome
    termination: str
    """The solver's own words, e.g. ``"HiGHS: Optimal"``."""
    objective: float | None = None
    """The objective value of the loaded solution, when the backend reports it."""


class LpBackend(Protocol):
    def __call__(self, model: pyo.ConcreteModel, *, time_limit_s: float) -> LpResult:
        """Minimise a linear model, loading the solution into its variables unless NO_SOLUTION."""
        ...


_STOPPED_EARLY = frozenset(
    {
        highspy.HighsModelStatus.kTimeLimit,
        highspy.HighsModelStatus.kIterationLimit,
        highspy.HighsModelStatus.kInterrupt,
        highspy.HighsModelStatus.kObjectiveBound,
        highspy.HighsModelStatus.kObjectiveTarget,
        highspy.HighsModelStatus.kSolutionLimit,
        highspy.HighsModelStatus.kUnknown,
    }
)


@dataclass(frozen=True, slots=True)
class CompiledLp:
    """A Pyomo model as HiGHS's matrices, with the Pyomo objects behind each column and row."""

    lp: highspy.HighsLp
    columns: list[VarData]
    """The variable behind each column."""
    rows: list[RowEntry]
    """The constraint behind each row (``bound_type`` 0 for ``=``, 1 for ``<=``, -1 for ``>=``)."""


def compile_lp(model: pyo.ConcreteModel) -> CompiledLp:
    """Compile a linear Pyomo model (one objective, minimised) to a HiGHS LP in one walk."""
    form = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=pyo.minimize)
    columns = form.columns
    matrix = form.A.tocsc()

    lp = highspy.HighsLp()
    lp.num_col_ = len(columns)
    lp.num_row_ = matrix.shape[0]
    lp.col_cost_ = form.c.toarray()[0] if form.c.shape[0] else np.zeros(len(columns))
    lp.offset_ = float(form.c_offset[0]) if len(form.c_offset) else 0.0
    lp.col_lower_ = np.array([-math.inf if var.lb is None else var.lb for var in columns], dtype=np.float64)
    lp.col_upper_ = np.array([math.inf if var.ub is None else var.ub for var in columns], dtype=np.float64)
    rhs = np.asarray(form.rhs, dtype=np.float64)
    # mixed form: multiplier 0 is an equality, 1 a <= row, -1 a >= row, each against rhs
    sense = np.array([row.bound_type for row in form.rows], dtype=np.int8)
    lp.row_lower_ = np.where(sense == 1, -math.inf, rhs)
    lp.row_upper_ = np.where(sense == -1, math.inf, rhs)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(np.float64)
    return CompiledLp(lp=lp, columns=list(columns), rows=list(form.rows))


DEFAULT_OPTIONS: Mapping[str, bool | int | float | str] = {
    "presolve": "off",
    "simplex_dual_edge_weight_strategy": 1,
    "simplex_scale_strategy": 0,
}
"""HiGHS options unless the caller sets them, each measured on the benchmark's LPs (``benchmarks/speed``,
same optimum to 1e-6 EUR):

* presolve off: the charging LP has variables only where a vehicle can charge and no redundant
  rows, so presolve finds little to remove; without it the dual simplex solves the Milan LP in
  50 ms instead of 80 ms and the 720-vehicle one in 1.6 s instead of 2.8 s;
* Devex pricing instead of dual steepest edge and no scaling: the rows are kW and kWh with
  coefficients between about 0.05 and 5 (shares of a slot, hours times efficiency, phasor
  components), already well scaled, and steepest edge's exact weights cost more per iteration than
  they save in iterations here. Together: the 720-vehicle LP (65,770 columns) in 1.55 s instead of
  2.98 s, Milan's in 40 ms instead of 52 ms, the 288-slot one in 0.28 s instead of 0.30 s.
"""


def new_highs(time_limit_s: float, options: Mapping[str, bool | int | float | str] | None = None) -> _HighsSolver:
    """A silent HiGHS instance with a time limit [s], :data:`DEFAULT_OPTIONS` and further options by name.

    Raises
    ------
    ValueError
        If HiGHS rejects an option.
    """
    highs = _HighsSolver()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", float(time_limit_s))
    for name, value in {**DEFAULT_OPTIONS, **(options or {})}.items():
        if highs.setOptionValue(name, value) != highspy.HighsStatus.kOk:
            raise ValueError(f"options: HiGHS rejected {name}={value!r}")
    return highs


def run_highs(highs: _HighsSolver) -> tuple[LpOutcome, str]:
    """Run HiGHS on the model it holds (from its basis, if it has one) and classify the result.

    The charging LP is feasible by construction (charging nothing meets every hard limit) and
    bounded, yet HiGHS's presolve can call it infeasible when data sit below its tolerances (a PV
    forecast of 6e-8 kW, say). Such a verdict is checked once more without presolve.
    """
    highs.run()
    model_status = highs.getModelStatus()
    _, presolve = highs.getOptionValue("presolve")
    if model_status in _DOUBTFUL and presolve != "off":
        highs.setOptionValue("presolve", "off")
        highs.clearSolver()
        highs.run()
        model_status = highs.getModelStatus()
        highs.setOptionValue("presolve", presolve)
    termination = f"HiGHS: {highs.modelStatusToString(model_status)}"
    if model_status == highspy.HighsModelStatus.kOptimal:
        return LpOutcome.OPTIMAL, termination
    if (
        model_status in _STOPPED_EARLY
        and highs.getInfo().primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    ):
        return LpOutcome.FEASIBLE, termination
    return LpOutcome.NO_SOLUTION, termination


_DOUBTFUL = frozenset(
    {
        highspy.HighsModelStatus.kInfeasible,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
        highspy.HighsModelStatus.kUnbounded,
    }
)


def solve_lp_with_highs(
    model: pyo.ConcreteModel,
    *,
    time_limit_s: float,
    options: Mapping[str, bool | int | float | str] | None = None,
) -> LpResult:
    """Minimise a linear Pyomo model with HiGHS's default dual simplex.

    Parameters
    ----------
    model
        A linear model with one objective.
    time_limit_s
        HiGHS's time limit [s]; it stops there with whatever it has.
    options
        Further HiGHS options by name (e.g. ``{"presolve": "on"}``); :data:`DEFAULT_OPTIONS` otherwise.

    Returns
    -------
    LpResult
        OPTIMAL when HiGHS proves optimality; FEASIBLE when it stopped early holding a primal feasible
        point; NO_SOLUTION otherwise (infeasible, unbounded, error, or stopped without a feasible
        point). Values are loaded into the model's variables, and the objective reported, for
        OPTIMAL and FEASIBLE.
    """
    compiled = compile_lp(model)
    highs = new_highs(time_limit_s, options)
    if highs.passModel(compiled.lp) == highspy.HighsStatus.kError:
        return LpResult(LpOutcome.NO_SOLUTION, "HiGHS: the model was rejected")
    outcome, termination = run_highs(highs)
    if outcome is LpOutcome.NO_SOLUTION:
        return LpResult(outcome, termination)
    for var, value in zip(compiled.columns, highs.getSolution().col_value, strict=True):
        var.set_value(value, skip_validation=True)
    return LpResult(outcome, termination, float(highs.getInfo().objective_function_value))
